/** Identity of the ImCluster custom resource; the CRD, RBAC, ownerReferences and the controller share these. */
export const group = "im.platform.io";
export const version = "v1alpha1";
export const kind = "ImCluster";
export const listKind = "ImClusterList";
export const plural = "imclusters";
export const singular = "imcluster";
export const shortNames = ["imc"] as const;
export const apiVersion = `${group}/${version}`;
export const crdName = `${plural}.${group}`;

/** The operator's identity: the managed-by label, the field manager, the ServiceAccount and ClusterRole names. */
export const operatorName = "im-operator";
/** Namespace the operator runs in (its ServiceAccount and the ClusterRoleBinding subject). */
export const operatorNamespace = "im-system";

/**
 * Annotation that stops reconciling an ImCluster while it is "true" (maintenance; Strimzi's
 * strimzi.io/pause-reconciliation): nothing is applied or pruned, the status still reports, with Paused True.
 */
export const pauseAnnotation = "im.platform.io/pause-reconciliation";
/**
 * Annotation that hibernates an ImCluster while it is "on" (CloudNativePG's cnpg.io/hibernation): every
 * component is scaled to zero and its autoscaler removed; "off" or removing it brings them back.
 */
export const hibernationAnnotation = "im.platform.io/hibernation";
/**
 * Whether an annotation holds `value`, read as Strimzi reads its pause annotation: case and surrounding blanks do
 * not matter ("TRUE", " true", "On"), so a maintenance pause is never ignored for the way it was typed.
 */
export const annotationIs = (annotations: Record<string, string> | undefined, key: string, value: string): boolean =>
  annotations?.[key]?.trim().toLowerCase() === value;
/** Field manager that holds a Deployment's spec.replicas during an autoscaling hand-over (docs/kubernetes.md). */
export const handoverFieldManager = "im-operator-handover";
