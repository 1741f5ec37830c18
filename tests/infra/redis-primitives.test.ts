import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { createRedis, hitRateLimit, LockBusyError, peekRateLimit, type Redis, raiseCounter, withLocks } from "@im/infra";
import { type RedisServer, startRedis } from "@im/testing";

describe("Redis primitives (real redis-server)", () => {
  let server: RedisServer;
  let redis: Redis;
  before(async () => {
    server = await startRedis();
    redis = createRedis(server.url, "test");
  });
  after(async () => {
    redis.disconnect();
    await server.stop();
  });

  it("withLocks serialises read-modify-write sequences", async () => {
    await redis.set("n", "0");
    const bump = () =>
      withLocks(redis, ["lock:n"], async () => {
        const value = Number(await redis.get("n"));
        await sleep(2);
        await redis.set("n", String(value + 1));
      });
    await Promise.all(Array.from({ length: 25 }, bump));
    assert.equal(await redis.get("n"), "25");
  });

  it("takes several keys all or nothing, in any order, without deadlock", async () => {
    let inside = 0;
    let most = 0;
    const work = (keys: string[]) =>
      withLocks(redis, keys, async () => {
        inside += 1;
        most = Math.max(most, inside);
        await sleep(3);
        inside -= 1;
      });
    await Promise.all(Array.from({ length: 10 }, (_, i) => work(i % 2 ? ["lock:a", "lock:b"] : ["lock:b", "lock:a"])));
    assert.equal(most, 1);
    assert.equal(await redis.exists("lock:a", "lock:b"), 0, "released");
  });

  it("gives up with LockBusyError and releases on failure", async () => {
    await redis.set("lock:held", "someone-else", "PX", 2_000);
    await assert.rejects(
      withLocks(redis, ["lock:free", "lock:held"], async () => "never", { waitMs: 100 }),
      (error) => error instanceof LockBusyError,
    );
    assert.equal(await redis.exists("lock:free"), 0, "the free key was not left taken");
    await assert.rejects(
      withLocks(redis, ["lock:x"], async () => Promise.reject(new Error("boom"))),
      /boom/,
    );
    assert.equal(await redis.exists("lock:x"), 0);
  });

  it("counts rate-limit windows atomically", async () => {
    const rule = { key: "rl:test", limit: 3, windowSeconds: 60 };
    const results = await Promise.all(Array.from({ length: 5 }, () => hitRateLimit(redis, rule)));
    assert.equal(results.filter((r) => r.allowed).length, 3);
    const peek = await peekRateLimit(redis, rule);
    assert.equal(peek.allowed, false);
    assert.ok(peek.retryAfterSeconds > 0 && peek.retryAfterSeconds <= 60);
  });

  it("raises a counter to a floor but never lowers it", async () => {
    await redis.del("idx:test");
    assert.equal(await raiseCounter(redis, "idx:test", 100), 100);
    assert.equal(await redis.incr("idx:test"), 101);
    assert.equal(await raiseCounter(redis, "idx:test", 50), 101);
  });
});
