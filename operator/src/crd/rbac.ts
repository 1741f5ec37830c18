import { childKinds } from "../render/child-kinds.js";
import type { KubeObject } from "../render/kube-object.js";
import { group, operatorName, operatorNamespace, plural } from "./constants.js";

const labels = { "app.kubernetes.io/name": operatorName, "app.kubernetes.io/part-of": "im-platform" };
const childVerbs = ["get", "list", "watch", "create", "update", "patch", "delete"];

/** One rbac.authorization.k8s.io/v1 PolicyRule. */
export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

/** Leader election: the Lease in the operator's namespace (a Role there when the watch scope is a list of namespaces). */
export function operatorLeaseRules(): PolicyRule[] {
  return [{ apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["get", "list", "watch", "create", "update", "patch"] }];
}

/**
 * Least-privilege rules: the child kinds (one rule per API group), the ImCluster resource, leader election,
 * events, pods (read only) and Secrets (list/watch, metadata only). Bound cluster-wide (ClusterRoleBinding) or per
 * watched namespace (RoleBinding of the same ClusterRole; Kubernetes docs, "Using RBAC Authorization").
 */
export function operatorRules(): PolicyRule[] {
  const groups = new Map<string, string[]>();
  for (const child of childKinds) groups.set(child.group, [...(groups.get(child.group) ?? []), child.resource]);
  const children = [...groups].map(([apiGroup, resources]) => ({ apiGroups: [apiGroup], resources: resources.sort(), verbs: childVerbs }));
  return [
    ...children,
    { apiGroups: [group], resources: [plural], verbs: ["get", "list", "watch", "update", "patch"] },
    { apiGroups: [group], resources: [`${plural}/status`], verbs: ["get", "update", "patch"] },
    // Setting blockOwnerDeletion on a child's ownerReference needs update on the owner's finalizers subresource
    // (OwnerReferencesPermissionEnforcement admission); the operator itself adds no finalizer.
    { apiGroups: [group], resources: [`${plural}/finalizers`], verbs: ["update"] },
    ...operatorLeaseRules(),
    { apiGroups: ["", "events.k8s.io"], resources: ["events"], verbs: ["get", "create", "patch"] },
    // Pod problems (CrashLoopBackOff, ImagePullBackOff, Unschedulable, exit 78) reach the status; read only.
    { apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] },
    // Secrets are listed and watched as metadata only (PartialObjectMetadata): a changed resourceVersion rolls the
    // components that read the Secret. RBAC cannot grant metadata alone; the operator never requests the data.
    { apiGroups: [""], resources: ["secrets"], verbs: ["list", "watch"] },
  ];
}

export function operatorServiceAccount(): KubeObject {
  return { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: operatorName, namespace: operatorNamespace, labels } };
}

export function operatorClusterRole(): KubeObject {
  return {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRole",
    metadata: { name: operatorName, labels },
    rules: operatorRules(),
  };
}

export function operatorClusterRoleBinding(): KubeObject {
  return {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRoleBinding",
    metadata: { name: operatorName, labels },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: operatorName },
    subjects: [{ kind: "ServiceAccount", name: operatorName, namespace: operatorNamespace }],
  };
}
