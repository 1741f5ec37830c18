import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { groupConversationId, singleConversationId } from "@im/protocol";
import { badgeKey, countForBadge, PUSH_EVENTS_STREAM, type PushEvent } from "@im/push";
import { ApiClient, errorOf } from "../support/client.js";
import { expectStatus, type MemberView, type Page, Rooms } from "../support/rooms.js";
import { startStack, type TestStack } from "../support/stack.js";

type Member = MemberView & { offlineNoPushMsg?: number };

/** The value of the series of `name` having `label` (e.g. kind="alert") in a Prometheus exposition; null when absent. */
function seriesValue(exposition: string, name: string, label = ""): number | null {
  const line = exposition.split("\n").find((l) => (l.startsWith(`${name}{`) || l.startsWith(`${name} `)) && l.includes(label));
  return line ? Number(line.slice(line.lastIndexOf(" ") + 1)) : null;
}

describe("push settings: badge, conversation mutes, room do-not-disturb, preview and mention settings", () => {
  let stack: TestStack;
  let client: ApiClient;
  let r: Rooms;
  before(async () => {
    stack = await startStack({ API_SMS_REQUIRED: "false", PUSH_ENABLED: "true" });
    client = new ApiClient(stack.api.url);
    r = new Rooms(stack, client);
  });
  after(() => stack.stop());

  const redis = () => stack.api.deps.redis;

  it("reads and resets the badge the push app counts", async () => {
    const user = await r.user();
    for (const id of ["m1", "m2", "m3", "m2"]) await countForBadge(redis(), user.userId, id);
    const read = await client.get<{ badge: number }>("/v1/push/badge", user.token);
    expectStatus(read, 200);
    assert.equal(read.body.badge, 3, "each message counts once");

    const reset = await client.call<{ badge: number }>("PUT", "/v1/push/badge", { body: {}, token: user.token });
    expectStatus(reset, 200);
    assert.equal(reset.body.badge, 0);
    assert.equal(await redis().exists(badgeKey(user.userId)), 0, "reset removes the counter");
    expectStatus(await client.call("PUT", "/v1/push/badge", { body: { badge: 7 }, token: user.token }), 200);
    assert.equal(await redis().get(badgeKey(user.userId)), "7");
    assert.equal((await client.get<{ badge: number }>("/v1/push/badge", user.token)).body.badge, 7);
    for (const badge of [-1, 10_000, 1.5, "3"]) {
      const bad = await client.call("PUT", "/v1/push/badge", { body: { badge }, token: user.token });
      expectStatus(bad, 400);
      assert.equal(errorOf(bad).key, "VALIDATION_FAILED");
    }
    assert.equal(await redis().get(badgeKey(user.userId)), "7", "refused values change nothing");
  });

  it("mutes and unmutes my single chats and rooms (idempotent, also when raced), refusing conversations not mine", async () => {
    const [me, friend, stranger, owner] = await r.users(4);
    const roomId = await r.room(owner, [me]);
    const otherRoom = await r.room(owner, [friend]);
    const single = singleConversationId(me.userId, friend.userId);
    const group = groupConversationId(roomId);
    const mute = (conversationId: string) =>
      client.call<{ conversationId: string; createTime: number }>("PUT", `/v1/push/mutes/${conversationId}`, { token: me.token });

    const replies = await Promise.all([mute(single), mute(single), mute(single), mute(group)]);
    for (const reply of replies) expectStatus(reply, 200);
    assert.equal(new Set(replies.slice(0, 3).map((reply) => reply.body.createTime)).size, 1, "one mute, one createTime");
    assert.equal(await stack.api.deps.models.conversationMutes.countDocuments({ userId: me.userId }), 2);
    const listed = await client.get<{ items: Array<{ conversationId: string }> }>("/v1/push/mutes", me.token);
    expectStatus(listed, 200);
    assert.deepEqual(listed.body.items.map((m) => m.conversationId).sort(), [group, single].sort());

    for (const conversationId of [singleConversationId(friend.userId, stranger.userId), groupConversationId(otherRoom), "g_nosuchroom"]) {
      const refused = await mute(conversationId);
      expectStatus(refused, 404);
      assert.equal(errorOf(refused).key, "CONVERSATION_NOT_FOUND");
    }
    const malformed = await mute("s_9_3");
    expectStatus(malformed, 404);
    expectStatus(await mute("x_1_2"), 400);

    expectStatus(await client.delete(`/v1/push/mutes/${single}`, me.token), 204);
    expectStatus(await client.delete(`/v1/push/mutes/${single}`, me.token), 204);
    const after_ = await client.get<{ items: Array<{ conversationId: string }> }>("/v1/push/mutes", me.token);
    assert.deepEqual(
      after_.body.items.map((m) => m.conversationId),
      [group],
    );
    assert.equal(await stack.api.deps.models.conversationMutes.countDocuments({ userId: friend.userId }), 0);
  });

  it("sets my own room do-not-disturb, shown to me only; never someone else's", async () => {
    const [owner, me, other] = await r.users(3);
    const roomId = await r.room(owner, [me, other]);
    const set = await r.putMember(me, roomId, me.userId, { offlineNoPushMsg: 1 });
    expectStatus(set, 200);
    assert.equal((set.body as Member).offlineNoPushMsg, 1);
    const doc = await stack.api.deps.models.roomMembers.findOne({ roomId, userId: me.userId }).lean();
    assert.equal(doc?.offlineNoPushMsg, 1);

    const seenByMe = await client.get<Page<Member>>(`/v1/rooms/${roomId}/members?pageSize=100`, me.token);
    expectStatus(seenByMe, 200);
    assert.equal(seenByMe.body.items.find((m) => m.userId === me.userId)?.offlineNoPushMsg, 1);
    assert.ok(seenByMe.body.items.filter((m) => m.userId !== me.userId).every((m) => m.offlineNoPushMsg === undefined));
    const seenByOther = await client.get<Page<Member>>(`/v1/rooms/${roomId}/members?pageSize=100`, other.token);
    assert.equal(seenByOther.body.items.find((m) => m.userId === me.userId)?.offlineNoPushMsg, undefined, "private to me");

    const byOwner = await r.putMember(owner, roomId, me.userId, { offlineNoPushMsg: 0 });
    expectStatus(byOwner, 403);
    assert.equal(errorOf(byOwner).key, "ROOM_PERMISSION_DENIED");
    expectStatus(await r.putMember(me, roomId, me.userId, { offlineNoPushMsg: 2 }), 400);
    expectStatus(await r.putMember(me, roomId, me.userId, { offlineNoPushMsg: 0 }), 200);
    assert.equal((await stack.api.deps.models.roomMembers.findOne({ roomId, userId: me.userId }).lean())?.offlineNoPushMsg, 0);
  });

  it("has pushPreview and pushMentions settings, on by default", async () => {
    const user = await r.user();
    const settings = await client.get<Record<string, number>>("/v1/users/me/settings", user.token);
    expectStatus(settings, 200);
    assert.equal(settings.body.pushPreview, 1);
    assert.equal(settings.body.pushMentions, 1);
    const patched = await client.patch<Record<string, number>>("/v1/users/me/settings", { pushPreview: 0, pushMentions: 0 }, user.token);
    expectStatus(patched, 200);
    assert.deepEqual([patched.body.pushPreview, patched.body.pushMentions], [0, 0]);
    const doc = await stack.api.deps.models.users.findOne({ userId: user.userId }).lean();
    assert.deepEqual([doc?.settings?.pushPreview, doc?.settings?.pushMentions], [0, 0]);
    expectStatus(await client.patch("/v1/users/me/settings", { pushPreview: 3 }, user.token), 400);
  });

  it("queues the API's notices for push when PUSH_ENABLED, counting them in im_push_events_queued_total", async () => {
    const metricsBefore = await (await fetch(`${stack.api.url}/metrics`)).text();
    const queuedBefore = seriesValue(metricsBefore, "im_push_events_queued_total", 'kind="alert"');
    const asker = await r.user();
    const asked = await r.user();
    expectStatus(await client.patch("/v1/users/me/settings", { friendsVerify: 1 }, asked.token), 200);
    const reply = await client.post<{ result: string }>(`/v1/friends/${asked.userId}`, {}, asker.token);
    expectStatus(reply, 200);
    assert.equal(reply.body.result, "requested");
    const deadline = Date.now() + 5_000;
    let events: PushEvent[] = [];
    while (Date.now() < deadline) {
      const entries = await redis().xrange(PUSH_EVENTS_STREAM, "-", "+");
      events = entries.map(([, fields]) => JSON.parse(fields[1] ?? "{}") as PushEvent).filter((e) => e.recipients.includes(asked.userId));
      if (events.length > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(events.length, 1, "the request notice for the asked user (direction 1), not the asker's copy");
    assert.equal(events[0]?.kind, "alert");
    assert.deepEqual(events[0]?.recipients, [asked.userId]);
    const metricsAfter = await (await fetch(`${stack.api.url}/metrics`)).text();
    assert.equal(typeof queuedBefore, "number", "the series exists before the first event");
    assert.ok((seriesValue(metricsAfter, "im_push_events_queued_total", 'kind="alert"') ?? 0) > (queuedBefore ?? 0), "counted");
    assert.equal(seriesValue(metricsAfter, "im_push_queue_errors_total"), 0);
  });
});

describe("push disabled (the default)", () => {
  it("queues nothing and registers no push queue metrics", async () => {
    const stack = await startStack({ API_SMS_REQUIRED: "false" });
    try {
      const client = new ApiClient(stack.api.url);
      const r = new Rooms(stack, client);
      const [owner, member] = await r.users(2);
      await r.room(owner, [member]);
      assert.equal(stack.config.PUSH_ENABLED, false);
      assert.equal(await stack.api.deps.redis.exists(PUSH_EVENTS_STREAM), 0, "nothing queued for the room's notices");
      const metrics = await (await fetch(`${stack.api.url}/metrics`)).text();
      assert.ok(!metrics.includes("im_push_events_queued_total"));
    } finally {
      await stack.stop();
    }
  });
});
