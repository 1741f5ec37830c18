import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { percentile, Recorder, summarize } from "../../load/runner/stats.js";

describe("load stats", () => {
  it("takes nearest-rank percentiles of sorted samples", () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    assert.equal(percentile(sorted, 0.5), 50);
    assert.equal(percentile(sorted, 0.95), 95);
    assert.equal(percentile(sorted, 0.99), 99);
    assert.equal(percentile(sorted, 1), 100);
    assert.equal(percentile([7], 0.5), 7);
    assert.equal(percentile([1, 2, 3], 0.5), 2);
    assert.equal(percentile([], 0.99), 0);
  });

  it("summarizes unsorted samples", () => {
    assert.deepEqual(summarize([30, 10, 20, 40]), { count: 4, mean: 25, p50: 20, p95: 40, p99: 40, max: 40 });
    assert.deepEqual(summarize([]), { count: 0, mean: 0, p50: 0, p95: 0, p99: 0, max: 0 });
    assert.equal(summarize([1.23456]).p50, 1.23);
  });

  it("keeps named series apart", () => {
    const recorder = new Recorder(["a", "b"] as const);
    recorder.add("a", 5);
    recorder.add("a", 1);
    const summary = recorder.summary();
    assert.equal(summary.a.count, 2);
    assert.equal(summary.a.max, 5);
    assert.equal(summary.b.count, 0);
  });
});
