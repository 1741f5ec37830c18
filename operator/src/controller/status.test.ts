import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { planShardChange } from "../spec/shard-plan.js";
import { computeStatus, type DeploymentView, mergePatchOf, type StatusInputs } from "./status.js";

const components = [{ name: "api" }, { name: "gateway" }, { name: "scheduler" }];
const ready = (replicas: number, generation = 1): DeploymentView => ({
  metadata: { generation },
  spec: { replicas },
  status: { observedGeneration: generation, replicas, readyReplicas: replicas, updatedReplicas: replicas, availableReplicas: replicas },
});
const t0 = new Date("2026-11-26T10:00:00Z");
const t1 = new Date("2026-11-26T10:05:00Z");
const base = (over: Partial<StatusInputs> = {}): StatusInputs => ({
  generation: 3,
  previous: undefined,
  components,
  deployments: { api: ready(2), gateway: ready(3), scheduler: ready(1) },
  shardPlan: planShardChange(undefined, 8),
  notes: [],
  now: t0,
  ...over,
});
const conditionOf = (status: ReturnType<typeof computeStatus>, type: string) => status.conditions?.find((c) => c.type === type);

describe("computeStatus", () => {
  it("all ready: Available, Ready, not Reconciling, not Stalled, Reconciled; shard layout recorded; gateways counted", () => {
    const status = computeStatus(base());
    assert.equal(status.observedGeneration, 3);
    assert.equal(conditionOf(status, "Available")?.status, "True");
    assert.equal(conditionOf(status, "Reconciling")?.status, "False");
    assert.equal(conditionOf(status, "Stalled")?.status, "False");
    assert.equal(conditionOf(status, "Reconciled")?.status, "True");
    assert.equal(conditionOf(status, "Ready")?.status, "True");
    assert.equal(status.phase, "Ready");
    assert.deepEqual(status.shardLayout, { messageShards: 8, since: t0.toISOString() });
    assert.equal(status.gatewaysReady, 3);
    assert.deepEqual(status.components?.gateway, { desiredReplicas: 3, readyReplicas: 3, updatedReplicas: 3 });
  });

  it("a component without an available pod, or mid-rollout, shows in Available and Reconciling with its name", () => {
    const rolling: DeploymentView = {
      metadata: { generation: 2 },
      spec: { replicas: 3 },
      status: { observedGeneration: 1, replicas: 3, readyReplicas: 0, updatedReplicas: 1, availableReplicas: 0 },
    };
    const status = computeStatus(base({ deployments: { api: ready(2), gateway: rolling, scheduler: undefined } }));
    assert.equal(conditionOf(status, "Available")?.status, "False");
    assert.match(conditionOf(status, "Available")?.message ?? "", /gateway 0\/3 ready, scheduler 0\/1 ready/);
    assert.equal(conditionOf(status, "Reconciling")?.status, "True");
    assert.match(conditionOf(status, "Reconciling")?.message ?? "", /gateway 0\/3 ready, 1\/3 updated/);
  });

  it("keeps lastTransitionTime while a condition's status holds and moves it when it changes", () => {
    const first = computeStatus(base());
    const same = computeStatus(base({ previous: first, now: t1 }));
    assert.equal(conditionOf(same, "Available")?.lastTransitionTime, t0.toISOString());
    const down = computeStatus(base({ previous: first, now: t1, deployments: { api: ready(2), gateway: undefined, scheduler: ready(1) } }));
    assert.equal(conditionOf(down, "Available")?.lastTransitionTime, t1.toISOString());
    assert.equal(conditionOf(down, "Reconciled")?.lastTransitionTime, t0.toISOString());
  });

  it("a refused shard change is Stalled with the plan's reason and the layout in force stays", () => {
    const first = computeStatus(base());
    const plan = planShardChange(8, 4);
    const status = computeStatus(base({ previous: first, shardPlan: plan, now: t1 }));
    assert.equal(conditionOf(status, "Stalled")?.status, "True");
    assert.equal(conditionOf(status, "Stalled")?.reason, "ShardDecreaseRefused");
    assert.deepEqual(status.shardLayout, first.shardLayout);
  });

  it("an acknowledged increase moves the layout and its since; a failed reconcile does not", () => {
    const first = computeStatus(base());
    const plan = planShardChange(8, 16, { from: 8, to: 16 });
    const failed = computeStatus(base({ previous: first, shardPlan: plan, now: t1, failure: { reason: "ApplyFailed", message: "boom" } }));
    assert.deepEqual(failed.shardLayout, first.shardLayout);
    assert.equal(conditionOf(failed, "Reconciled")?.status, "False");
    assert.equal(conditionOf(failed, "Reconciled")?.reason, "ApplyFailed");
    const applied = computeStatus(base({ previous: first, shardPlan: plan, now: t1 }));
    assert.deepEqual(applied.shardLayout, { messageShards: 16, since: t1.toISOString() });
  });

  it("a failed rollout (progress deadline) is Stalled", () => {
    const stuck: DeploymentView = {
      ...ready(1),
      status: {
        ...ready(1).status,
        conditions: [{ type: "Progressing", status: "False", reason: "ProgressDeadlineExceeded", message: "timed out" }],
      },
    };
    const status = computeStatus(base({ deployments: { api: stuck, gateway: ready(1), scheduler: ready(1) } }));
    assert.equal(conditionOf(status, "Stalled")?.reason, "RolloutFailed");
    assert.match(conditionOf(status, "Stalled")?.message ?? "", /api: ProgressDeadlineExceeded timed out/);
  });

  it("a failed first reconcile records no shard layout, so the first valid spec is not taken for a change", () => {
    const failed = computeStatus(base({ shardPlan: planShardChange(undefined, 1), failure: { reason: "InvalidSpec", message: "bad" } }));
    assert.equal(failed.shardLayout, undefined);
    const applied = computeStatus(base({ previous: failed, shardPlan: planShardChange(undefined, 8), now: t1 }));
    assert.deepEqual(applied.shardLayout, { messageShards: 8, since: t1.toISOString() });
  });

  it("Ready is False with 1 of 4 gateways ready, and names the component", () => {
    const partial: DeploymentView = { ...ready(4), status: { ...ready(4).status, readyReplicas: 1, availableReplicas: 1 } };
    const status = computeStatus(base({ deployments: { api: ready(2), gateway: partial, scheduler: ready(1) } }));
    assert.equal(conditionOf(status, "Ready")?.status, "False");
    assert.match(conditionOf(status, "Ready")?.message ?? "", /gateway 1\/4 ready/);
    assert.equal(conditionOf(status, "Reconciling")?.status, "True");
    assert.equal(conditionOf(status, "Available")?.status, "True", "one gateway serves");
    assert.equal(status.phase, "Reconciling");
  });

  it("desired replicas come from the HPA (never below its minimum) or the spec when the Deployment is missing", () => {
    const hpa = { metadata: { name: "im-gateway" }, spec: { minReplicas: 3, maxReplicas: 10 } };
    const status = computeStatus(
      base({
        deployments: { api: ready(2), gateway: ready(2), scheduler: undefined },
        hpas: { gateway: hpa },
        specReplicas: { scheduler: 2 },
      }),
    );
    assert.equal(status.components?.gateway?.desiredReplicas, 3);
    assert.equal(status.components?.scheduler?.desiredReplicas, 2);
    assert.match(conditionOf(status, "Ready")?.message ?? "", /gateway 2\/3 ready, 2\/3 updated/);
    const scaled = computeStatus(base({ hpas: { gateway: { ...hpa, status: { desiredReplicas: 5 } } } }));
    assert.equal(scaled.components?.gateway?.desiredReplicas, 5);
  });

  it("a crash-looping pod stalls the cluster with the component, pod and reason; exit 78 is ConfigRefused", () => {
    const pod = (name: string, state: object, lastState: object = {}) => ({
      metadata: { name, labels: { "app.kubernetes.io/component": "gateway" } },
      status: { containerStatuses: [{ name: "gateway", state, lastState }] },
    });
    const crash = pod("im-gateway-a", { waiting: { reason: "CrashLoopBackOff", message: "back-off 5m0s" } });
    const status = computeStatus(base({ pods: [crash] }));
    assert.equal(conditionOf(status, "Stalled")?.status, "True");
    assert.equal(conditionOf(status, "Stalled")?.reason, "CrashLoopBackOff");
    assert.match(conditionOf(status, "Stalled")?.message ?? "", /gateway: CrashLoopBackOff \(pod im-gateway-a container gateway/);
    assert.equal(conditionOf(status, "Ready")?.status, "False");
    assert.equal(conditionOf(status, "Reconciling")?.status, "False", "kstatus reads Stalled only when not Reconciling");
    assert.equal(status.phase, "Stalled");
    assert.equal(status.components?.gateway?.problem?.reason, "CrashLoopBackOff");
    const refused = pod("im-gateway-b", { waiting: { reason: "CrashLoopBackOff" } }, { terminated: { exitCode: 78 } });
    const both = computeStatus(base({ pods: [crash, refused] }));
    assert.equal(both.components?.gateway?.problem?.reason, "ConfigRefused");
    assert.match(both.components?.gateway?.problem?.message ?? "", /im-gateway-b/);
  });

  it("the version is spec.version once every component rolled it out; paused keeps observedGeneration and says so", () => {
    const first = computeStatus(base({ desiredVersion: "0.1.0" }));
    assert.equal(first.version, "0.1.0");
    const rolling = computeStatus(
      base({
        previous: first,
        desiredVersion: "0.2.0",
        deployments: { api: ready(2, 2), gateway: { ...ready(3, 2), status: { ...ready(3).status } }, scheduler: ready(1) },
      }),
    );
    assert.equal(rolling.version, "0.1.0");
    const paused = computeStatus(base({ previous: first, paused: true, latestGeneration: 4 }));
    assert.equal(paused.observedGeneration, 3);
    assert.equal(paused.phase, "Paused");
    assert.equal(conditionOf(paused, "Paused")?.status, "True");
    assert.equal(conditionOf(paused, "Ready")?.reason, "ReconciliationPaused");
  });

  it("hibernating: Ready True reason Hibernated once every component is at zero, not before", () => {
    const zero = ready(0);
    const down = computeStatus(base({ hibernating: true, deployments: { api: zero, gateway: zero, scheduler: zero } }));
    assert.equal(down.phase, "Hibernated");
    assert.equal(conditionOf(down, "Ready")?.reason, "Hibernated");
    assert.equal(conditionOf(down, "Ready")?.status, "True");
    assert.equal(conditionOf(down, "Available")?.reason, "Hibernated");
    assert.equal(down.components?.gateway?.desiredReplicas, 0);
    const draining: DeploymentView = { ...zero, status: { ...zero.status, replicas: 2, readyReplicas: 2, updatedReplicas: 0 } };
    const going = computeStatus(base({ hibernating: true, deployments: { api: zero, gateway: draining, scheduler: zero } }));
    assert.equal(conditionOf(going, "Ready")?.status, "False");
    assert.equal(conditionOf(going, "Reconciling")?.reason, "Hibernating");
  });

  it("a merge patch nulls what is gone at any depth", () => {
    assert.deepEqual(mergePatchOf({ a: 1, c: { d: { reason: "X" }, e: 1 } }, { c: { e: 2 } }), { a: null, c: { d: null, e: 2 } });
  });
});
