import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { createModels, type Models, syncIndexes } from "@im/data";
import { type Connection, connectMongo, createRedis, type Redis } from "@im/infra";
import type { PushEvent } from "@im/push";
import { createPushMetrics, loadPushConfig, planEvent, startPush } from "@im/push-app";
import { createMetricsRegistry } from "@im/telemetry";
import { type FerretDbServer, type RedisServer, startFerretDb, startRedis } from "@im/testing";

/**
 * The planner on a 500-member room (issue 12 §5's shape): each store is read once for all recipients — one
 * presence pipeline, one find per collection with $in — and every rule still applies per member.
 */
describe("push planner on a 500-member room", () => {
  let redisServer: RedisServer;
  let mongoServer: FerretDbServer;
  let mongo: Connection;
  let redis: Redis;
  let models: Models;
  const commands: Array<{ name: string; collection: string }> = [];
  before(async () => {
    [redisServer, mongoServer] = await Promise.all([startRedis(), startFerretDb()]);
    mongo = await connectMongo(mongoServer.urlFor("im_planner"), { onCommand: () => undefined });
    mongo.getClient().on("commandStarted", (event) => {
      commands.push({ name: event.commandName, collection: String(event.command[event.commandName]) });
    });
    redis = createRedis(redisServer.url, "planner-test");
    models = createModels(mongo);
    await syncIndexes(models);
  });
  after(async () => {
    await redis?.quit();
    await mongo?.close();
    await Promise.all([redisServer?.stop(), mongoServer?.stop()]);
  });

  it("plans one send per member device with one read per store, skipping each silenced member", async (t) => {
    const now = Date.now();
    const owner = 1_000;
    const members = Array.from({ length: 500 }, (_, i) => 2_000 + i);
    const roomId = "r500";
    // Disjoint groups: 30 online, 10 offlineNoPush, 50 room do-not-disturb, 20 muted the room, 40 without a device.
    const online = members.slice(0, 30);
    const noPush = members.slice(30, 40);
    const roomDnd = members.slice(40, 90);
    const muted = members.slice(90, 110);
    const deviceless = members.slice(110, 150);
    const user = (userId: number) => ({
      userId,
      telephone: `86${userId}`,
      areaCode: "86",
      nickname: `u${userId}`,
      createTime: now,
      modifyTime: now,
      settings: { offlineNoPush: noPush.includes(userId) ? 1 : 0 },
    });
    await models.users.insertMany([user(owner), ...members.map(user)]);
    await models.rooms.create({ roomId, name: "Five hundred", ownerId: owner, createTime: now, modifyTime: now });
    await models.roomMembers.insertMany(
      members.map((userId) => ({ roomId, userId, joinTime: now, modifyTime: now, offlineNoPushMsg: roomDnd.includes(userId) ? 1 : 0 })),
    );
    await models.conversationMutes.insertMany(muted.map((userId) => ({ userId, conversationId: `g_${roomId}`, createTime: now })));
    await models.pushDevices.insertMany(
      members
        .filter((userId) => !deviceless.includes(userId))
        .map((userId) => {
          const token = `fcm-${userId}`;
          return {
            _id: createHash("sha256").update(`fcm:${token}`).digest("hex"),
            userId,
            sessionId: `s${userId}`,
            tokenHash: `h${userId}`,
            provider: "fcm",
            token,
            appId: "com.example.im",
            locale: userId % 2 === 0 ? "en" : "zh",
            createTime: now,
            modifyTime: now,
          };
        }),
    );
    for (const userId of online) await redis.zadd(`im:presence:${userId}`, now + 60_000, `gw|android|${userId}`);

    const metrics = createPushMetrics(createMetricsRegistry("push-planner-test"));
    const event: PushEvent = {
      v: 1,
      kind: "alert",
      audience: "recipients",
      messageId: "m-500",
      conversationId: `g_${roomId}`,
      chatType: 2,
      type: 1,
      seq: 1,
      serverTime: now,
      fromUserId: owner,
      to: roomId,
      recipients: members,
      text: "hello everyone",
      fromUserName: "Owner", // client-written: the stored nickname u1000 wins
    };
    commands.length = 0;
    const started = performance.now();
    const entries = await planEvent(
      { redis, models, metrics, enabled: new Set(["fcm"]), alertTtlSeconds: 86_400, callTtlSeconds: 60 },
      event,
      now,
    );
    t.diagnostic(`planned ${entries.length} sends in ${(performance.now() - started).toFixed(1)} ms`);

    const silenced = new Set([...online, ...noPush, ...roomDnd, ...muted, ...deviceless]);
    assert.deepEqual(
      entries.map((entry) => entry.userId).sort((a, b) => a - b),
      members.filter((id) => !silenced.has(id)),
    );
    const finds = commands.filter((c) => c.name === "find");
    assert.deepEqual(finds.map((c) => c.collection).sort(), [
      "conversation_mutes",
      "push_devices",
      "shiku_room",
      "shiku_room_member",
      "u_friends", // who of the members blocked the sender
      "user",
    ]);
    assert.equal(commands.length, finds.length, `only finds: ${JSON.stringify(commands)}`);
    const en = entries.find((entry) => entry.userId % 2 === 0);
    const zh = entries.find((entry) => entry.userId % 2 === 1);
    assert.deepEqual([en?.notification.title, en?.notification.body], ["Five hundred", "u1000: hello everyone"]);
    assert.equal(zh?.notification.title, "Five hundred");
    assert.equal(en?.notification.badge, 1);
    for (const [reason, count] of [
      ["online", 30],
      ["offline_no_push", 10],
      ["room_dnd", 50],
      ["conversation_muted", 20],
      ["no_device", 40],
    ] as const) {
      const value = (await metrics.skipped.get()).values.find((v) => v.labels.reason === reason)?.value;
      assert.equal(value, count, reason);
    }
  });

  it("a worker stops promptly: close() does not wait out the claim period or the blocking read", async () => {
    const push = await startPush(
      loadPushConfig({
        MONGO_URL: mongoServer.urlFor("im_planner"),
        REDIS_URL: redisServer.url,
        LOG_LEVEL: "silent",
        PUSH_HOST: "127.0.0.1",
        PUSH_PORT: "0",
        PUSH_CLAIM_IDLE_MS: "30000",
      }),
      { providers: [] },
    );
    const probe = await fetch(`${push.url}/readyz`);
    assert.equal(probe.status, 200);
    const started = performance.now();
    await push.close();
    const took = performance.now() - started;
    assert.ok(took < 3_000, `close took ${took.toFixed(0)} ms`);
  });
});
