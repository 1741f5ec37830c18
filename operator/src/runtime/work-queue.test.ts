import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { backoffDelay } from "./backoff.js";
import { requeueAfter } from "./requeue.js";
import { WorkQueue } from "./work-queue.js";

const tick = () => new Promise((resolve) => setImmediate(resolve));

/** Timers under the test's control: `fire()` runs the due ones in order. */
function fakeTimers() {
  const pending: Array<{ fn: () => void; ms: number; cancelled: boolean }> = [];
  return {
    pending,
    setTimer: (fn: () => void, ms: number) => {
      const timer = { fn, ms, cancelled: false };
      pending.push(timer);
      return { cancel: () => (timer.cancelled = true) };
    },
    fireAll() {
      for (const timer of pending.splice(0)) if (!timer.cancelled) timer.fn();
    },
  };
}

describe("backoffDelay", () => {
  it("doubles per failure from the base and stops at the cap", () => {
    const policy = { baseMs: 100, maxMs: 1_000 };
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5, 100].map((n) => backoffDelay(n, policy)),
      [0, 100, 200, 400, 800, 1_000, 1_000],
    );
  });
});

describe("WorkQueue", () => {
  it("queues a key once while it waits and never runs it twice at once; an add during processing runs it again after", async () => {
    const running = new Map<string, number>();
    let maxParallelSameKey = 0;
    const runs: string[] = [];
    let release!: () => void;
    let gate = new Promise<void>((resolve) => (release = resolve));
    const queue = new WorkQueue(
      async (key) => {
        running.set(key, (running.get(key) ?? 0) + 1);
        maxParallelSameKey = Math.max(maxParallelSameKey, running.get(key) ?? 0);
        runs.push(key);
        await gate;
        running.set(key, (running.get(key) ?? 1) - 1);
        return undefined;
      },
      { concurrency: 4 },
    );
    queue.add("ns/a");
    await tick();
    queue.add("ns/a");
    queue.add("ns/a");
    queue.add("ns/b");
    queue.add("ns/b");
    await tick();
    assert.deepEqual(runs, ["ns/a", "ns/b"], "b runs beside a; a waits for its own run");
    release();
    gate = new Promise<void>((resolve) => (release = resolve));
    await tick();
    await tick();
    assert.deepEqual(runs, ["ns/a", "ns/b", "ns/a", "ns/b"], "the adds during each key's run collapse into one more run of it");
    release();
    await queue.shutDown();
    assert.equal(maxParallelSameKey, 1);
  });

  it("backs off exponentially per key on errors, forgets on success, and requeues a Requeue without counting a failure", async () => {
    const timers = fakeTimers();
    const outcomes: string[] = [];
    let failNext = 3;
    let requeueOnce = true;
    const queue = new WorkQueue(
      async () => {
        if (failNext > 0) {
          failNext--;
          throw new Error("boom");
        }
        if (requeueOnce) {
          requeueOnce = false;
          return requeueAfter(1_234, "waiting");
        }
        return undefined;
      },
      { setTimer: timers.setTimer, backoff: { baseMs: 100, maxMs: 10_000 }, onProcessed: (_key, outcome) => outcomes.push(outcome) },
    );
    const delays: number[] = [];
    queue.add("k");
    for (let i = 0; i < 5; i++) {
      await tick();
      await tick();
      delays.push(...timers.pending.map((t) => t.ms));
      timers.fireAll();
    }
    await tick();
    assert.deepEqual(outcomes, ["error", "error", "error", "requeue", "success"]);
    assert.deepEqual(delays, [100, 200, 400, 1_234]);
    assert.equal(queue.failuresOf("k"), 0, "success forgot the failures");
    await queue.shutDown();
  });

  it("shutDown waits for the key in flight and takes no more", async () => {
    let finished = false;
    const queue = new WorkQueue(async () => {
      await new Promise((resolve) => setTimeout(resolve, 50));
      finished = true;
      return undefined;
    });
    queue.add("k");
    await tick();
    await queue.shutDown();
    assert.equal(finished, true);
    queue.add("other");
    assert.equal(queue.depth, 0);
  });
});
