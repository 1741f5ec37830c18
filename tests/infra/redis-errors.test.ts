import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { createRedis, REDIS_ERROR_LOG_INTERVAL_MS } from "@im/infra";
import { freePort } from "@im/testing";

describe("Redis connection errors", () => {
  it("are logged once per interval with the count left out, not thrown as unhandled error events", async () => {
    const port = await freePort(); // nothing listens there: every connection attempt fails
    const lines: Array<{ details: Record<string, unknown>; message: string }> = [];
    const logger = { warn: (details: object, message: string) => lines.push({ details: details as Record<string, unknown>, message }) };
    const redis = createRedis(`redis://127.0.0.1:${port}`, "errors-test", logger);
    try {
      await assert.rejects(redis.get("k"));
      await sleep(1_500);
      assert.ok(REDIS_ERROR_LOG_INTERVAL_MS > 1_500);
      assert.equal(lines.length, 1, `one line within the interval, got ${lines.length}`);
      assert.equal(lines[0]?.details.redis, "errors-test");
      assert.ok(lines[0]?.details.err instanceof Error);
      assert.ok(redis.listenerCount("error") >= 1);
    } finally {
      redis.disconnect();
    }
  });
});
