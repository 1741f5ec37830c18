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
