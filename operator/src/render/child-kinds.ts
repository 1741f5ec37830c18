/** A kind of object the operator creates for an ImCluster: for applying, pruning and RBAC. */
export interface ChildKind {
  apiVersion: string;
  kind: string;
  /** API group ("" for core). */
  group: string;
  /** Plural resource name, as RBAC rules name it. */
  resource: string;
}

const child = (apiVersion: string, kind: string, resource: string): ChildKind => ({
  apiVersion,
  kind,
  group: apiVersion.includes("/") ? apiVersion.slice(0, apiVersion.indexOf("/")) : "",
  resource,
});

/** Every kind render can produce; the operator prunes children of these kinds that render no longer produces. */
export const childKinds: readonly ChildKind[] = [
  child("v1", "ConfigMap", "configmaps"),
  child("v1", "Service", "services"),
  child("apps/v1", "Deployment", "deployments"),
  child("autoscaling/v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers"),
  child("policy/v1", "PodDisruptionBudget", "poddisruptionbudgets"),
  child("networking.k8s.io/v1", "Ingress", "ingresses"),
  child("monitoring.coreos.com/v1", "ServiceMonitor", "servicemonitors"),
];
