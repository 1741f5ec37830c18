import type { ComponentDefinition } from "../render/components.js";
import type { ShardPlan } from "../spec/shard-plan.js";
import { type Condition, type ConditionType, conditionTypes, type ImClusterStatus } from "../spec/status.js";
import type { PodView } from "./pod-view.js";

/** The parts of an apps/v1 Deployment the status is computed from. */
export interface DeploymentView {
  metadata: { name?: string; generation?: number };
  spec?: { replicas?: number };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    readyReplicas?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
    conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>;
  };
}

/** The parts of an autoscaling/v2 HorizontalPodAutoscaler the status reads. */
export interface HpaView {
  metadata: { name?: string };
  spec?: { minReplicas?: number; maxReplicas?: number };
  status?: { currentReplicas?: number; desiredReplicas?: number };
}

export interface StatusInputs {
  generation: number;
  previous: ImClusterStatus | undefined;
  components: readonly Pick<ComponentDefinition, "name">[];
  /** Each component's Deployment as last seen (undefined: not created yet). */
  deployments: Record<string, DeploymentView | undefined>;
  shardPlan: ShardPlan;
  /** Why reconciling failed, when it did (Reconciled False). */
  failure?: { reason: string; message: string } | undefined;
  /** Things reconciling skipped on purpose, reported in Reconciled's message (e.g. ServiceMonitor CRD absent). */
  notes: string[];
  now: Date;
  /** Each component's HorizontalPodAutoscaler as last seen (undefined: none). */
  hpas?: Record<string, HpaView | undefined>;
  /** The cluster's pods (label im.platform.io/cluster), for problems below the Deployment. */
  pods?: PodView[];
  /** Component → names of Secrets it references that do not exist. */
  missingSecrets?: Record<string, string[]>;
  /** Requested child kinds the API server does not serve, e.g. "ServiceMonitor (monitoring.coreos.com/v1)". */
  unservedKinds?: string[];
  /** Children whose apply failed in this reconcile (the others were applied). */
  failedChildren?: Array<{ kind: string; name: string; message: string }>;
  /** The pause annotation is set: nothing was applied. */
  paused?: boolean;
  /** The hibernation annotation is on: every component is scaled to zero. */
  hibernating?: boolean;
  /** spec.version asked for (status.version becomes it once every component runs it). */
  desiredVersion?: string;
  /** Users online as last read from the gateways. */
  onlineUsers?: { count: number; observedAt: Date };
  /** Label selector of the gateway pods (status.gatewaySelector, for the scale subresource). */
  gatewaySelector?: string;
}

type Desired = Omit<Condition, "lastTransitionTime" | "observedGeneration">;

/** A condition keeps its lastTransitionTime while its status stays the same (metav1.Condition convention). */
function condition(previous: Condition[] | undefined, desired: Desired, generation: number, now: Date): Condition {
  const before = previous?.find((c) => c.type === desired.type);
  const lastTransitionTime = before && before.status === desired.status ? before.lastTransitionTime : now.toISOString();
  return { ...desired, lastTransitionTime, observedGeneration: generation };
}

const failedCondition = (d: DeploymentView) =>
  d.status?.conditions?.find(
    (c) =>
      (c.type === "Progressing" && c.status === "False" && c.reason === "ProgressDeadlineExceeded") ||
      (c.type === "ReplicaFailure" && c.status === "True"),
  );

/**
 * The ImCluster status from what the controller observed (pure; unit-tested): per-component replicas,
 * Available (every component has an available pod), Progressing (a rollout is under way), Degraded (a
 * refused shard change, a failed rollout or a failed reconcile), Reconciled (the last reconcile applied
 * everything), the shard layout in force and the gateways ready.
 */
export function computeStatus(inputs: StatusInputs): ImClusterStatus {
  const { generation, previous, deployments, shardPlan, now } = inputs;
  const components: NonNullable<ImClusterStatus["components"]> = {};
  const unavailable: string[] = [];
  const rolling: string[] = [];
  const failed: string[] = [];
  for (const { name } of inputs.components) {
    const d = deployments[name];
    const desired = d?.spec?.replicas ?? 1;
    const ready = d?.status?.readyReplicas ?? 0;
    const updated = d?.status?.updatedReplicas ?? 0;
    components[name] = { desiredReplicas: desired, readyReplicas: ready, updatedReplicas: updated };
    if (!d || (d.status?.availableReplicas ?? 0) < 1) unavailable.push(`${name} ${ready}/${desired} ready`);
    const stale = !d || (d.status?.observedGeneration ?? 0) < (d.metadata.generation ?? 0);
    if (stale || updated < desired || (d?.status?.replicas ?? 0) > updated) rolling.push(`${name} ${updated}/${desired} updated`);
    const failure = d && failedCondition(d);
    if (failure) failed.push(`${name}: ${failure.reason ?? failure.type} ${failure.message ?? ""}`.trim());
  }

  const conditions: Record<ConditionType, Desired> = {
    Available:
      unavailable.length === 0
        ? { type: "Available", status: "True", reason: "AllComponentsAvailable", message: "every component has an available pod" }
        : { type: "Available", status: "False", reason: "ComponentsUnavailable", message: unavailable.join(", ") },
    Reconciling:
      rolling.length > 0
        ? { type: "Reconciling", status: "True", reason: "RollingOut", message: rolling.join(", ") }
        : { type: "Reconciling", status: "False", reason: "RolloutComplete", message: "every component runs its current template" },
    Stalled: !shardPlan.allowed
      ? { type: "Stalled", status: "True", reason: shardPlan.reason, message: shardPlan.message }
      : failed.length > 0
        ? { type: "Stalled", status: "True", reason: "RolloutFailed", message: failed.join("; ") }
        : inputs.failure
          ? { type: "Stalled", status: "True", reason: inputs.failure.reason, message: inputs.failure.message }
          : { type: "Stalled", status: "False", reason: "AsExpected", message: "no refused change and no failed rollout" },
    // Placeholder until the status work of issue 13 lands (Ready from every component's desired pods).
    Ready:
      unavailable.length === 0 && rolling.length === 0 && failed.length === 0 && !inputs.failure && shardPlan.allowed
        ? { type: "Ready", status: "True", reason: "Ready", message: "every component's desired pods are updated and ready" }
        : {
            type: "Ready",
            status: "False",
            reason: "NotReady",
            message: [...unavailable, ...rolling, ...failed].join(", ") || "see Stalled",
          },
    Paused: { type: "Paused", status: "False", reason: "Reconciling", message: "reconciliation is not paused" },
    Reconciled: inputs.failure
      ? { type: "Reconciled", status: "False", reason: inputs.failure.reason, message: inputs.failure.message }
      : {
          type: "Reconciled",
          status: "True",
          reason: "ReconcileSucceeded",
          message: ["every child object applied", ...inputs.notes].join("; "),
        },
  };

  const previousLayout = previous?.shardLayout;
  // A layout counts as in force once the children carrying it were applied: a failed reconcile keeps the old
  // one, or records none on a cluster that never had one (else a later valid spec would look like a change).
  let shardLayout: ImClusterStatus["shardLayout"];
  if (inputs.failure) shardLayout = previousLayout;
  else if (shardPlan.allowed && previousLayout?.messageShards !== shardPlan.messageShards)
    shardLayout = { messageShards: shardPlan.messageShards, since: now.toISOString() };
  else shardLayout = previousLayout ?? { messageShards: shardPlan.messageShards, since: now.toISOString() };

  const status: ImClusterStatus = {
    observedGeneration: generation,
    conditions: conditionTypes.map((type) => condition(previous?.conditions, conditions[type], generation, now)),
    components,
    ...(shardLayout ? { shardLayout } : {}),
    gatewaysReady: deployments.gateway?.status?.readyReplicas ?? 0,
  };
  if (previous?.onlineUsers !== undefined) status.onlineUsers = previous.onlineUsers;
  return status;
}
