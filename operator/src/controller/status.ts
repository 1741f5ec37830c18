import type { ComponentDefinition } from "../render/components.js";
import type { ShardPlan } from "../spec/shard-plan.js";
import { type Condition, type ConditionType, conditionTypes, type ImClusterStatus } from "../spec/status.js";
import type { PodView } from "./pod-view.js";
import { componentProblems, type PodProblem } from "./pods.js";

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
  /** metadata.generation of the ImCluster now; `generation` above is the one applied (they differ while paused). Default: `generation`. */
  latestGeneration?: number;
  /** Replicas each component's spec asks for (the autoscaler's minimum when autoscaled), used while its Deployment is missing. */
  specReplicas?: Record<string, number>;
  /**
   * Replicas the spec of each component that is not autoscaled asks for: a Deployment above it (a paced
   * scale-down, or the step down after autoscaling was turned off) is not done yet.
   */
  fixedReplicas?: Record<string, number>;
}

type Desired = Omit<Condition, "lastTransitionTime" | "observedGeneration">;

/** The CRD's maxLength of a condition message: a longer one would make the API server refuse the whole status. */
const conditionMessageMax = 32_768;

/**
 * A condition keeps its lastTransitionTime while its status stays the same (metav1.Condition convention). The
 * message is cut to the CRD's maximum (pods' and the API server's messages joined can be longer).
 */
function condition(previous: Condition[] | undefined, desired: Desired, generation: number, now: Date): Condition {
  const before = previous?.find((c) => c.type === desired.type);
  const lastTransitionTime = before && before.status === desired.status ? before.lastTransitionTime : now.toISOString();
  return { ...desired, message: desired.message.slice(0, conditionMessageMax), lastTransitionTime, observedGeneration: generation };
}

const failedCondition = (d: DeploymentView) =>
  d.status?.conditions?.find(
    (c) =>
      (c.type === "Progressing" && c.status === "False" && c.reason === "ProgressDeadlineExceeded") ||
      (c.type === "ReplicaFailure" && c.status === "True"),
  );

/**
 * Pods a component should run: 0 while hibernating; with an autoscaler its choice (status.desiredReplicas),
 * never below its minReplicas; else the Deployment's spec.replicas; with no Deployment yet what the spec asks.
 */
export function desiredReplicas(
  deployment: DeploymentView | undefined,
  hpa: HpaView | undefined,
  specReplicas: number | undefined,
  hibernating = false,
): number {
  if (hibernating) return 0;
  if (hpa) return Math.max(hpa.status?.desiredReplicas ?? 0, hpa.spec?.minReplicas ?? 1);
  return deployment?.spec?.replicas ?? specReplicas ?? 1;
}

/** One component's rollout as the conditions see it. */
interface ComponentState {
  name: string;
  desired: number;
  ready: number;
  updated: number;
  available: number;
  /** The Deployment's spec.replicas (undefined: no Deployment). */
  own: number | undefined;
  /** Every desired pod is updated, ready and available, the Deployment controller saw the latest template and no old pod remains (kstatus' Current for a Deployment). */
  done: boolean;
  failure?: string;
  problem?: PodProblem;
}

function componentState(name: string, d: DeploymentView | undefined, desired: number, problem: PodProblem | undefined): ComponentState {
  const ready = d?.status?.readyReplicas ?? 0;
  const updated = d?.status?.updatedReplicas ?? 0;
  const available = d?.status?.availableReplicas ?? 0;
  const existing = d?.status?.replicas ?? 0;
  const own = d?.spec?.replicas ?? 1;
  const current = d !== undefined && (d.status?.observedGeneration ?? 0) >= (d.metadata.generation ?? 0);
  const target = Math.max(desired, own);
  const done = current && updated >= target && ready >= target && available >= target && existing <= updated;
  const failed = d && failedCondition(d);
  return {
    name,
    desired,
    ready,
    updated,
    available,
    own: d?.spec?.replicas,
    done,
    ...(failed ? { failure: `${name}: ${failed.reason ?? failed.type} ${failed.message ?? ""}`.trim() } : {}),
    ...(problem ? { problem } : {}),
  };
}

/** Why the cluster cannot get to Ready without a human (kstatus Stalled), most fundamental first. */
function stalledOf(inputs: StatusInputs, states: readonly ComponentState[]): Desired | undefined {
  const stalled = (reason: string, message: string): Desired => ({ type: "Stalled", status: "True", reason, message });
  if (inputs.failure?.reason === "InvalidSpec") return stalled("InvalidSpec", inputs.failure.message);
  if (!inputs.shardPlan.allowed) return stalled(inputs.shardPlan.reason, inputs.shardPlan.message);
  const refused = inputs.failedChildren ?? [];
  if (refused.length > 0) return stalled("ApplyFailed", refused.map((c) => `${c.kind} ${c.name}: ${c.message}`).join("; "));
  if (inputs.failure) return stalled(inputs.failure.reason, inputs.failure.message);
  const failed = states.flatMap((s) => (s.failure ? [s.failure] : []));
  if (failed.length > 0) return stalled("RolloutFailed", failed.join("; "));
  const problems = states.flatMap((s) => (s.problem ? [{ component: s.name, ...s.problem }] : []));
  const first = problems[0];
  if (first) return stalled(first.reason, problems.map((p) => `${p.component}: ${p.reason} (${p.message})`).join("; "));
  return undefined;
}

/** Reconciled: did the last reconcile apply everything asked for. */
function reconciledOf(inputs: StatusInputs): Desired {
  const no = (reason: string, message: string): Desired => ({ type: "Reconciled", status: "False", reason, message });
  if (inputs.paused) return no("ReconciliationPaused", "the pause annotation stops reconciling: nothing is applied or pruned");
  if (inputs.failure) return no(inputs.failure.reason, inputs.failure.message);
  const refused = inputs.failedChildren ?? [];
  if (refused.length > 0) return no("ApplyFailed", refused.map((c) => `${c.kind} ${c.name}: ${c.message}`).join("; "));
  const unserved = inputs.unservedKinds ?? [];
  if (unserved.length > 0) return no("APINotServed", `requested but not served by the API server: ${unserved.join(", ")}`);
  return {
    type: "Reconciled",
    status: "True",
    reason: "ReconcileSucceeded",
    message: ["every child object applied", ...inputs.notes].join("; "),
  };
}

/**
 * The ImCluster status from what the controller observed (pure; unit-tested). Conditions follow kstatus
 * (sigs.k8s.io/cli-utils/pkg/kstatus, what Flux and Argo CD read) and `kubectl wait --for=condition=Ready`:
 * - Ready True only when observedGeneration == generation, the last reconcile applied everything (no failed
 *   child, no unserved requested kind, not paused with a change waiting) and every component's desired pods
 *   (desiredReplicas) are updated, ready and available with no old pod left; while hibernating, Ready True
 *   (reason Hibernated) once every component is at zero.
 * - Stalled True when it cannot get there without a human (invalid spec, refused shard change, refused apply,
 *   rollout deadline exceeded, a pod problem from controller/pods.ts, a missing Secret).
 * - Reconciling True while neither Ready nor Stalled (a rollout or scaling under way).
 * - Available True when every component that should run has an available pod; Reconciled the outcome of the
 *   last apply; Paused True while the pause annotation holds.
 * Also: phase, version (spec.version once every component finished rolling it out), per-component replicas
 * and problem, the shard layout in force, gateway counts and selector (scale subresource), online users.
 */
export function computeStatus(inputs: StatusInputs): ImClusterStatus {
  const { generation, previous, deployments, now } = inputs;
  const latest = inputs.latestGeneration ?? generation;
  const hibernating = inputs.hibernating ?? false;
  const names = inputs.components.map((c) => c.name);
  const problems = componentProblems(names, inputs.pods ?? [], inputs.missingSecrets);
  const states = names.map((name) => {
    const d = deployments[name];
    const desired = desiredReplicas(d, inputs.hpas?.[name], inputs.specReplicas?.[name], hibernating);
    const state = componentState(name, d, desired, problems[name]);
    const fixed = hibernating || inputs.hpas?.[name] ? undefined : inputs.fixedReplicas?.[name];
    // Still stepping down to the spec's count: on its way (Reconciling), not Ready.
    if (fixed !== undefined && d && (d.spec?.replicas ?? 1) > fixed) return { ...state, desired: fixed, done: false };
    return state;
  });
  const components: NonNullable<ImClusterStatus["components"]> = {};
  for (const s of states) {
    components[s.name] = {
      desiredReplicas: s.desired,
      readyReplicas: s.ready,
      updatedReplicas: s.updated,
      ...(s.problem ? { problem: { reason: s.problem.reason, message: s.problem.message.slice(0, 4096) } } : {}),
    };
  }
  // The Deployment's count when it differs (a paced scale-down, a hand-over before the autoscaler acts): then it,
  // not the desired count, is what the pods are measured against.
  const notDone = states
    .filter((s) => !s.done)
    .map(
      (s) =>
        `${s.name} ${s.ready}/${s.desired} ready, ${s.updated}/${s.desired} updated${s.own !== undefined && s.own !== s.desired && !hibernating ? ` (Deployment at ${s.own})` : ""}`,
    );
  const unavailable = states.filter((s) => s.desired > 0 && s.available < 1).map((s) => `${s.name} ${s.ready}/${s.desired} ready`);

  const stalled = stalledOf(inputs, states);
  const reconciled = reconciledOf(inputs);
  const waiting = latest !== generation;
  let ready: Desired;
  if (stalled) ready = { type: "Ready", status: "False", reason: stalled.reason, message: stalled.message };
  else if (waiting && inputs.paused)
    ready = {
      type: "Ready",
      status: "False",
      reason: "ReconciliationPaused",
      message: `generation ${latest} waits: reconciliation is paused`,
    };
  else if (waiting) ready = { type: "Ready", status: "False", reason: "Reconciling", message: `generation ${latest} not yet applied` };
  else if (reconciled.status === "False" && !inputs.paused) ready = { ...reconciled, type: "Ready" };
  else if (notDone.length > 0)
    ready = { type: "Ready", status: "False", reason: hibernating ? "Hibernating" : "ComponentsNotReady", message: notDone.join("; ") };
  else if (hibernating) ready = { type: "Ready", status: "True", reason: "Hibernated", message: "every component is scaled to zero" };
  else
    ready = {
      type: "Ready",
      status: "True",
      reason: "AllComponentsReady",
      message: "every component's desired pods are updated and ready",
    };

  let reconciling: Desired;
  if (ready.status === "True" || stalled) {
    reconciling = { type: "Reconciling", status: "False", reason: stalled ? "Stalled" : ready.reason, message: "nothing in progress" };
  } else if (inputs.paused) {
    reconciling = { type: "Reconciling", status: "False", reason: "ReconciliationPaused", message: "reconciliation is paused" };
  } else {
    const reason = notDone.length > 0 ? (hibernating ? "Hibernating" : "RollingOut") : ready.reason;
    reconciling = { type: "Reconciling", status: "True", reason, message: ready.message };
  }

  const conditions: Record<ConditionType, Desired> = {
    Ready: ready,
    Available: hibernating
      ? { type: "Available", status: "False", reason: "Hibernated", message: "every component is scaled to zero" }
      : unavailable.length === 0
        ? { type: "Available", status: "True", reason: "AllComponentsAvailable", message: "every component has an available pod" }
        : { type: "Available", status: "False", reason: "ComponentsUnavailable", message: unavailable.join(", ") },
    Reconciling: reconciling,
    Stalled: stalled ?? { type: "Stalled", status: "False", reason: "AsExpected", message: "nothing needs a human" },
    Reconciled: reconciled,
    Paused: inputs.paused
      ? { type: "Paused", status: "True", reason: "ReconciliationPaused", message: "the pause annotation stops reconciling" }
      : { type: "Paused", status: "False", reason: "NotPaused", message: "reconciliation is not paused" },
  };

  const status: ImClusterStatus = {
    observedGeneration: generation,
    conditions: conditionTypes.map((type) => condition(previous?.conditions, conditions[type], generation, now)),
    phase: inputs.paused
      ? "Paused"
      : stalled
        ? "Stalled"
        : ready.status === "True"
          ? hibernating
            ? "Hibernated"
            : "Ready"
          : "Reconciling",
    components,
    gatewaysReady: deployments.gateway?.status?.readyReplicas ?? 0,
    gatewayReplicas: deployments.gateway?.status?.replicas ?? 0,
  };
  // The version runs once a reconcile applied it and every component finished rolling it out.
  const rolledOut = !inputs.paused && !waiting && reconciled.status === "True" && !stalled && notDone.length === 0;
  const version = rolledOut && inputs.desiredVersion ? inputs.desiredVersion : previous?.version;
  if (version) status.version = version;
  const shardLayout = shardLayoutOf(inputs);
  if (shardLayout) status.shardLayout = shardLayout;
  if (inputs.gatewaySelector) status.gatewaySelector = inputs.gatewaySelector;
  if (inputs.onlineUsers) {
    status.onlineUsers = inputs.onlineUsers.count;
    status.onlineUsersObservedAt = inputs.onlineUsers.observedAt.toISOString();
  }
  return status;
}

/**
 * The shard layout in force. It counts as in force once the children carrying it were applied: a failed
 * reconcile keeps the old one, or records none on a cluster that never had one (else a later valid spec
 * would look like a change).
 */
function shardLayoutOf({ previous, failure, shardPlan, now, paused }: StatusInputs): ImClusterStatus["shardLayout"] {
  const previousLayout = previous?.shardLayout;
  if (failure || paused) return previousLayout;
  if (shardPlan.allowed && previousLayout?.messageShards !== shardPlan.messageShards)
    return { messageShards: shardPlan.messageShards, since: now.toISOString() };
  return previousLayout ?? { messageShards: shardPlan.messageShards, since: now.toISOString() };
}

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/**
 * A JSON merge patch (RFC 7386) turning `before` into `after`: `after` itself, plus an explicit null for
 * every object key `before` has and `after` lacks, at any depth (arrays are replaced whole, as RFC 7386 does).
 */
export function mergePatchOf(before: unknown, after: unknown): unknown {
  const isObject = (v: unknown): v is Record<string, Json> => typeof v === "object" && v !== null && !Array.isArray(v);
  if (!isObject(before) || !isObject(after)) return after;
  const patch: Record<string, unknown> = {};
  for (const key of Object.keys(before)) if (!(key in after) || after[key] === undefined) patch[key] = null;
  for (const [key, value] of Object.entries(after)) if (value !== undefined) patch[key] = mergePatchOf(before[key], value);
  return patch;
}
