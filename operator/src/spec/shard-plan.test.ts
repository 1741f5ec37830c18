import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { planShardChange } from "./shard-plan.js";

describe("planShardChange", () => {
  it("applies the first layout", () => {
    assert.deepEqual(planShardChange(undefined, 16), {
      allowed: true,
      reason: "ShardLayoutInitial",
      message: "first layout: 16 message shards",
      messageShards: 16,
    });
  });

  it("keeps an unchanged count", () => {
    const plan = planShardChange(8, 8);
    assert.equal(plan.allowed, true);
    assert.equal(plan.reason, "ShardLayoutUnchanged");
  });

  it("refuses a decrease, even with a migration", () => {
    const plan = planShardChange(16, 8, { from: 16, to: 8 });
    assert.equal(plan.allowed, false);
    assert.equal(plan.reason, "ShardDecreaseRefused");
    assert.equal(plan.messageShards, 16);
  });

  it("refuses an increase without an acknowledged migration and names the procedure", () => {
    const plan = planShardChange(8, 16);
    assert.equal(plan.allowed, false);
    assert.equal(plan.reason, "ShardMigrationRequired");
    assert.equal(plan.messageShards, 8);
    assert.match(plan.message, /im_meta/);
    assert.match(plan.message, /messageShardsMigration/);
  });

  it("refuses an increase whose acknowledgement names other counts", () => {
    const plan = planShardChange(8, 32, { from: 8, to: 16 });
    assert.equal(plan.reason, "ShardMigrationRequired");
    assert.match(plan.message, /does not match/);
  });

  it("applies an increase with a matching acknowledgement", () => {
    const plan = planShardChange(8, 16, { from: 8, to: 16 });
    assert.equal(plan.allowed, true);
    assert.equal(plan.reason, "ShardMigrationAcknowledged");
    assert.equal(plan.messageShards, 16);
  });
});
