import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { createRedis, type Redis } from "@im/infra";
import {
  countForBadge,
  createPushQueue,
  MAX_BADGE,
  PUSH_ENTRY_FIELD,
  PUSH_EVENTS_STREAM,
  type PushEvent,
  pushEventSchema,
  readBadge,
  setBadge,
} from "@im/push";
import { type RedisServer, startRedis } from "@im/testing";

const message = {
  conversationId: "g_r1",
  seq: 3,
  messageId: "b".repeat(32),
  chatType: 2 as const,
  fromUserId: 100001,
  fromResource: "android",
  to: "r1",
  type: 1,
  content: "hi all",
  isEncrypt: false,
  isReadDel: false,
  timeSend: 1,
  serverTime: 2,
};

describe("push queue and badges (real redis-server)", () => {
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

  it("appends one parseable event per notifying message, nothing for the rest, and stays bounded", async () => {
    const queued: PushEvent[] = [];
    const queue = createPushQueue(redis, { maxLength: 1_000, onQueued: (event) => queued.push(event) });
    queue.notify(message, [100001, 100002, 100003]);
    queue.notify({ ...message, messageId: "c".repeat(32), type: 26 }, [100002]); // read receipt: never
    queue.notify({ ...message, messageId: "d".repeat(32) }, [100001]); // only the sender: nobody to tell
    while (queued.length < 1) await sleep(5);
    const entries = await redis.xrange(PUSH_EVENTS_STREAM, "-", "+");
    assert.equal(entries.length, 1);
    const [, fields] = entries[0] ?? ["", []];
    assert.equal(fields[0], PUSH_ENTRY_FIELD);
    const event = pushEventSchema.parse(JSON.parse(fields[1] ?? ""));
    assert.deepEqual(event.recipients, [100002, 100003]);
    assert.equal(event.text, "hi all");
    for (let i = 0; i < 5_000; i++) queue.notify({ ...message, messageId: `e${i}`.padEnd(32, "0") }, [100002]);
    while (queued.length < 5_001) await sleep(10);
    const length = await redis.xlen(PUSH_EVENTS_STREAM);
    assert.ok(length < 5_001 && length >= 1_000, `bounded near 1000, got ${length}`);
  });

  it("tells onError when Redis refuses the append, and never throws into the message path", async () => {
    const errors: unknown[] = [];
    const broken = createRedis(server.url, "test-broken");
    await broken.quit();
    const queue = createPushQueue(broken, { maxLength: 1_000, onError: (error) => errors.push(error) });
    assert.doesNotThrow(() => queue.notify(message, [100002]));
    while (errors.length < 1) await sleep(5);
  });

  it("counts a message once per user however often it is planned, caps, and resets", async () => {
    assert.equal(await countForBadge(redis, 7, "m1"), 1);
    assert.equal(await countForBadge(redis, 7, "m1"), 1);
    const counts = await Promise.all(Array.from({ length: 20 }, (_, i) => countForBadge(redis, 7, `m${(i % 5) + 2}`)));
    assert.equal(Math.max(...counts), 6);
    assert.equal(await readBadge(redis, 7), 6);
    await setBadge(redis, 7, 0);
    assert.equal(await readBadge(redis, 7), 0);
    await setBadge(redis, 7, MAX_BADGE + 5);
    assert.equal(await readBadge(redis, 7), MAX_BADGE);
    assert.equal(await countForBadge(redis, 7, "m-over"), MAX_BADGE);
  });
});
