import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decideLease, type Lease, microTime } from "./lease.js";

const at = Date.parse("2026-11-26T10:00:00.000Z");
const lease = (holder: string | null, renewedMsAgo: number, duration = 15): Lease => ({
  metadata: { name: "im-operator", namespace: "im-system", resourceVersion: "7" },
  spec: { holderIdentity: holder, leaseDurationSeconds: duration, renewTime: microTime(at - renewedMsAgo), leaseTransitions: 2 },
});

describe("decideLease", () => {
  it("creates a missing lease", () => {
    const decision = decideLease(undefined, "a", at, 15);
    assert.equal(decision.action, "create");
    assert.equal(decision.action === "create" && decision.spec.holderIdentity, "a");
  });
  it("renews its own lease", () => {
    const decision = decideLease(lease("a", 5_000), "a", at, 15);
    assert.equal(decision.action, "renew");
    assert.equal(decision.action === "renew" && decision.spec.renewTime, "2026-11-26T10:00:00.000000Z");
    assert.equal(decision.action === "renew" && decision.spec.leaseTransitions, 2, "a renewal is no transition");
  });
  it("waits while another holder's lease is fresh, even a moment before it expires", () => {
    const decision = decideLease(lease("b", 14_999), "a", at, 15);
    assert.deepEqual(decision, { action: "wait", holder: "b", expiresAt: at + 1 });
  });
  it("takes over an expired or released lease and counts the transition", () => {
    for (const expired of [lease("b", 15_001), lease(null, 0), lease("", 0)]) {
      const decision = decideLease(expired, "a", at, 15);
      assert.equal(decision.action, "takeover");
      assert.equal(decision.action === "takeover" && decision.spec.leaseTransitions, 3);
    }
  });
  it("writes MicroTime", () => {
    assert.equal(microTime(Date.parse("2026-01-02T03:04:05.678Z")), "2026-01-02T03:04:05.678000Z");
  });
});
