import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { handoverFieldManager, operatorName } from "../crd/constants.js";
import { planReplicas, type ReplicaInputs } from "./replicas.js";

const now = new Date("2026-12-01T06:00:00.000Z");
const base: ReplicaInputs = {
  rendered: 2,
  autoscalerMin: undefined,
  live: { replicas: 2, owners: [operatorName] },
  autoscalerLive: false,
  paced: true,
  hibernating: false,
  now,
  stepSeconds: 60,
};
const ago = (seconds: number) => new Date(now.getTime() - seconds * 1000).toISOString();

describe("planReplicas", () => {
  it("hands the count to the HPA without dropping it: hand-over apply first, then the operator leaves it out", () => {
    assert.deepEqual(planReplicas({ ...base, rendered: undefined, autoscalerMin: 3, live: { replicas: 4, owners: [operatorName] } }), {
      handover: 4,
      release: false,
    });
    assert.deepEqual(
      planReplicas({ ...base, rendered: undefined, autoscalerMin: 3, live: { replicas: 0, owners: [operatorName] } }),
      { handover: 3, release: false },
      "from zero (hibernation) to the autoscaler's minimum: an HPA never scales a Deployment at 0",
    );
    assert.deepEqual(
      planReplicas({ ...base, rendered: undefined, autoscalerMin: 3, live: undefined }),
      { replicas: 3, release: false, handOverAfterCreate: 3 },
      "created at the autoscaler's minimum and handed over in the same reconcile",
    );
  });

  it("leaves the count to the HPA once it writes it, and releases the hand-over ownership", () => {
    const owners = [handoverFieldManager, "kube-controller-manager"];
    assert.deepEqual(planReplicas({ ...base, rendered: undefined, autoscalerMin: 3, live: { replicas: 12, owners } }), { release: true });
    assert.deepEqual(
      planReplicas({ ...base, rendered: undefined, autoscalerMin: 3, live: { replicas: 4, owners: [handoverFieldManager] } }),
      { release: false },
      "held by the hand-over manager until the HPA acts",
    );
  });

  it("keeps the HPA's count in the reconcile that removes the HPA, then steps a paced component down one pod per step", () => {
    const live = { replicas: 12, owners: ["kube-controller-manager"] };
    assert.deepEqual(planReplicas({ ...base, live, autoscalerLive: true }), {
      replicas: 12,
      scaledDownAt: now.toISOString(),
      release: false,
      requeueMs: 60_000,
    });
    const shared = { replicas: 12, owners: [operatorName, "kube-controller-manager"], scaledDownAt: ago(20) };
    assert.deepEqual(planReplicas({ ...base, live: shared }), { replicas: 12, scaledDownAt: ago(20), release: false, requeueMs: 40_000 });
    assert.deepEqual(planReplicas({ ...base, live: { ...shared, scaledDownAt: ago(60) } }), {
      replicas: 11,
      scaledDownAt: now.toISOString(),
      release: false,
      requeueMs: 60_000,
    });
    assert.deepEqual(planReplicas({ ...base, live: { replicas: 3, owners: [operatorName], scaledDownAt: ago(61) } }), {
      replicas: 2,
      scaledDownAt: now.toISOString(),
      release: false,
    });
  });

  it("goes straight to the target when not paced, when hibernating and when scaling up", () => {
    const live = { replicas: 12, owners: [operatorName] };
    assert.deepEqual(planReplicas({ ...base, live, paced: false }), { replicas: 2, release: false });
    assert.deepEqual(planReplicas({ ...base, rendered: 0, live, hibernating: true }), { replicas: 0, release: false });
    assert.deepEqual(planReplicas({ ...base, rendered: 5, live: { replicas: 2, owners: [operatorName] } }), {
      replicas: 5,
      release: false,
    });
    assert.deepEqual(planReplicas({ ...base, rendered: 5, live: { replicas: 2, owners: [operatorName, handoverFieldManager] } }), {
      replicas: 5,
      release: true,
    });
  });
});
