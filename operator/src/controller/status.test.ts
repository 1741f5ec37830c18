import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { planShardChange } from "../spec/shard-plan.js";
import { computeStatus, type DeploymentView, type StatusInputs } from "./status.js";

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
  it("all ready: Available, not Progressing, not Degraded, Reconciled; shard layout recorded; gateways counted", () => {
    const status = computeStatus(base());
    assert.equal(status.observedGeneration, 3);
    assert.equal(conditionOf(status, "Available")?.status, "True");
    assert.equal(conditionOf(status, "Progressing")?.status, "False");
    assert.equal(conditionOf(status, "Degraded")?.status, "False");
    assert.equal(conditionOf(status, "Reconciled")?.status, "True");
    assert.deepEqual(status.shardLayout, { messageShards: 8, since: t0.toISOString() });
    assert.equal(status.gatewaysReady, 3);
    assert.deepEqual(status.components?.gateway, { desiredReplicas: 3, readyReplicas: 3, updatedReplicas: 3 });
  });

  it("a component without an available pod, or mid-rollout, shows in Available and Progressing with its name", () => {
    const rolling: DeploymentView = {
      metadata: { generation: 2 },
      spec: { replicas: 3 },
      status: { observedGeneration: 1, replicas: 3, readyReplicas: 0, updatedReplicas: 1, availableReplicas: 0 },
    };
    const status = computeStatus(base({ deployments: { api: ready(2), gateway: rolling, scheduler: undefined } }));
    assert.equal(conditionOf(status, "Available")?.status, "False");
    assert.match(conditionOf(status, "Available")?.message ?? "", /gateway 0\/3 ready, scheduler 0\/1 ready/);
    assert.equal(conditionOf(status, "Progressing")?.status, "True");
    assert.match(conditionOf(status, "Progressing")?.message ?? "", /gateway 1\/3 updated/);
  });

  it("keeps lastTransitionTime while a condition's status holds and moves it when it changes", () => {
    const first = computeStatus(base());
    const same = computeStatus(base({ previous: first, now: t1 }));
    assert.equal(conditionOf(same, "Available")?.lastTransitionTime, t0.toISOString());
    const down = computeStatus(base({ previous: first, now: t1, deployments: { api: ready(2), gateway: undefined, scheduler: ready(1) } }));
    assert.equal(conditionOf(down, "Available")?.lastTransitionTime, t1.toISOString());
    assert.equal(conditionOf(down, "Reconciled")?.lastTransitionTime, t0.toISOString());
  });

  it("a refused shard change is Degraded with the plan's reason and the layout in force stays", () => {
    const first = computeStatus(base());
    const plan = planShardChange(8, 4);
    const status = computeStatus(base({ previous: first, shardPlan: plan, now: t1 }));
    assert.equal(conditionOf(status, "Degraded")?.status, "True");
    assert.equal(conditionOf(status, "Degraded")?.reason, "ShardDecreaseRefused");
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

  it("a failed rollout (progress deadline) is Degraded", () => {
    const stuck: DeploymentView = {
      ...ready(1),
      status: {
        ...ready(1).status,
        conditions: [{ type: "Progressing", status: "False", reason: "ProgressDeadlineExceeded", message: "timed out" }],
      },
    };
    const status = computeStatus(base({ deployments: { api: stuck, gateway: ready(1), scheduler: ready(1) } }));
    assert.equal(conditionOf(status, "Degraded")?.reason, "RolloutFailed");
    assert.match(conditionOf(status, "Degraded")?.message ?? "", /api: ProgressDeadlineExceeded timed out/);
  });

  it("a failed first reconcile records no shard layout, so the first valid spec is not taken for a change", () => {
    const failed = computeStatus(base({ shardPlan: planShardChange(undefined, 1), failure: { reason: "InvalidSpec", message: "bad" } }));
    assert.equal(failed.shardLayout, undefined);
    const applied = computeStatus(base({ previous: failed, shardPlan: planShardChange(undefined, 8), now: t1 }));
    assert.deepEqual(applied.shardLayout, { messageShards: 8, since: t1.toISOString() });
  });
});
