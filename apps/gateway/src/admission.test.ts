import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Admission } from "./admission.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("Admission", () => {
  it("runs at most `concurrency` at once and passes slots on in arrival order", async () => {
    const admission = new Admission(2, 1_000);
    let active = 0;
    let peak = 0;
    const order: number[] = [];
    const job = (i: number) =>
      admission.run(async () => {
        active++;
        peak = Math.max(peak, active);
        order.push(i);
        await sleep(20);
        active--;
        return i;
      });
    const results = await Promise.all([1, 2, 3, 4, 5].map(job));
    assert.equal(peak, 2);
    assert.deepEqual(order, [1, 2, 3, 4, 5]);
    assert.deepEqual(
      results.map((r) => (r.refused ? "refused" : r.value)),
      [1, 2, 3, 4, 5],
    );
    assert.equal(admission.active, 0);
  });

  it("refuses, without running it, work that could not start within the wait", async () => {
    const admission = new Admission(1, 30);
    let ran = 0;
    const slow = admission.run(async () => {
      ran++;
      await sleep(100);
    });
    const late = await admission.run(async () => {
      ran++;
    });
    assert.equal(late.refused, true);
    await slow;
    assert.equal(ran, 1);
    assert.equal(admission.queued, 0);
    assert.equal((await admission.run(async () => "free again")).refused, false);
  });

  it("frees the slot when the work throws", async () => {
    const admission = new Admission(1, 1_000);
    await assert.rejects(
      admission.run(async () => Promise.reject(new Error("boom"))),
      /boom/,
    );
    assert.equal(admission.active, 0);
    assert.equal((await admission.run(async () => 1)).refused, false);
  });
});
