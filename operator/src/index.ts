// Public API of the operator package: the ImCluster schema and types, the pure render, the shard policy,
// the component table, the child kinds and the CRD constants. The controller builds on these.
export {
  apiVersion,
  crdName,
  group,
  kind,
  listKind,
  operatorName,
  operatorNamespace,
  plural,
  shortNames,
  singular,
  version,
} from "./crd/constants.js";
export { imClusterCrd, imClusterOpenApiSchema } from "./crd/crd.js";
export { driftedFiles, type GeneratedFile, generatedFiles } from "./crd/manifests.js";
export { operatorClusterRole, operatorClusterRoleBinding, operatorRules, operatorServiceAccount } from "./crd/rbac.js";
export { type ChildKind, childKinds } from "./render/child-kinds.js";
export {
  activeComponents,
  type ComponentContext,
  type ComponentDefinition,
  type ComponentName,
  type ComponentSpecView,
  componentList,
  components,
  type Dependency,
  type RunningFacts,
} from "./render/components.js";
export { defaultDashboardsDir, loadDashboards } from "./render/dashboard-files.js";
export type { EnvVar, KubeObject, ObjectMeta, OwnerReference } from "./render/kube-object.js";
export { clusterLabel, configHashAnnotation } from "./render/metadata.js";
export { messageShardsInForce, type RenderOptions, render } from "./render/render.js";
export {
  type ImCluster,
  type ImClusterInput,
  type ImClusterSpec,
  type ImClusterSpecInput,
  imClusterSchema,
  imClusterSpecSchema,
} from "./spec/imcluster.js";
export { planShardChange, type ShardMigration, type ShardPlan, type ShardPlanReason } from "./spec/shard-plan.js";
export {
  type Condition,
  type ConditionType,
  conditionSchema,
  conditionTypes,
  type ImClusterStatus,
  imClusterStatusSchema,
} from "./spec/status.js";
