import { apiVersion, kind, operatorName } from "../crd/constants.js";
import type { ImCluster } from "../spec/imcluster.js";
import type { ObjectMeta } from "./kube-object.js";

/** Label every child carries; the operator lists children by it to prune. */
export const clusterLabel = "im.platform.io/cluster";
/** Pod template annotation: sha256 of the configuration a component consumes. */
export const configHashAnnotation = "im.platform.io/config-hash";
export const partOf = "im-platform";

/** The cluster fields render needs beyond the spec, checked once. */
export interface Owner {
  name: string;
  namespace: string;
  uid: string;
  version: string;
}

export function ownerOf(cluster: ImCluster): Owner {
  const { name, namespace, uid } = cluster.metadata;
  if (!namespace) throw new Error(`render: ImCluster ${name} has no metadata.namespace`);
  if (!uid) throw new Error(`render: ImCluster ${name} has no metadata.uid (needed for ownerReferences)`);
  return { name, namespace, uid, version: cluster.spec.version };
}

/** Labels that select a component's pods; never change them (Deployment selectors are immutable). */
export function selectorLabels(owner: Owner, component: string): Record<string, string> {
  return { "app.kubernetes.io/name": partOf, "app.kubernetes.io/instance": owner.name, "app.kubernetes.io/component": component };
}

export function labels(owner: Owner, component: string, extra?: Record<string, string>): Record<string, string> {
  return {
    ...extra,
    ...selectorLabels(owner, component),
    "app.kubernetes.io/part-of": partOf,
    "app.kubernetes.io/managed-by": operatorName,
    "app.kubernetes.io/version": owner.version,
    [clusterLabel]: owner.name,
  };
}

/** Metadata of a child: `<cluster>-<suffix>`, its labels and the controller ownerReference. */
export function childMeta(owner: Owner, suffix: string, component: string, extra: Partial<ObjectMeta> = {}): ObjectMeta {
  const meta: ObjectMeta = {
    name: `${owner.name}-${suffix}`,
    namespace: owner.namespace,
    labels: labels(owner, component, extra.labels),
    ownerReferences: [{ apiVersion, kind, name: owner.name, uid: owner.uid, controller: true, blockOwnerDeletion: true }],
  };
  if (extra.annotations && Object.keys(extra.annotations).length > 0) meta.annotations = extra.annotations;
  return meta;
}
