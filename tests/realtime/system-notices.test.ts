import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ImClient } from "@im/client";
import { SYSTEM_NOTIFIER_ID, sendSystemMessage } from "@im/messaging";
import { type DeliveredMessage, friendNoticeTypes, singleConversationId } from "@im/protocol";
import { collect, connectClient, eventually, gateway, type RealtimeWorld, registerUser, startRealtime } from "../support/realtime.js";

const noticeContent = (message: DeliveredMessage | undefined) => JSON.parse(message?.content ?? "null") as Record<string, unknown>;

describe("system notifications and friend notices over the gateway", () => {
  let world: RealtimeWorld;
  before(async () => {
    world = await startRealtime(2, { API_SMS_REQUIRED: "false" });
  });
  after(() => world.stop());

  it("an online user gets a friend request live from 10005, the actor gets their side, records turn delivered", async () => {
    const alice = await registerUser(world.stack, world.api);
    const bob = await registerUser(world.stack, world.api);
    const a = await connectClient(world, alice, gateway(world, 0));
    const b = await connectClient(world, bob, gateway(world, 1));
    const [aliceInbox, bobInbox] = [collect(a), collect(b)];

    const added = await world.api.post(`/v1/friends/${bob.userId}`, { greeting: "hi bob" }, alice.token);
    assert.equal(added.status, 200, JSON.stringify(added.body));
    await eventually("bob gets the request", () => bobInbox.length === 1);
    const request = bobInbox[0];
    assert.equal(request?.type, friendNoticeTypes.greet);
    assert.equal(request?.fromUserId, SYSTEM_NOTIFIER_ID);
    assert.equal(request?.fromResource, "Server");
    assert.equal(request?.conversationId, singleConversationId(SYSTEM_NOTIFIER_ID, bob.userId));
    assert.deepEqual(noticeContent(request), { fromUserId: alice.userId, toUserId: bob.userId, direction: 1, content: "hi bob" });
    await eventually("alice gets her side", () => aliceInbox.length === 1);
    assert.deepEqual(noticeContent(aliceInbox[0]), { fromUserId: alice.userId, toUserId: bob.userId, direction: 0, content: "hi bob" });

    const accepted = await world.api.post(`/v1/friends/requests/${alice.userId}/accept`, undefined, bob.token);
    assert.ok(accepted.status < 300, JSON.stringify(accepted.body));
    await eventually("alice learns bob accepted", () => aliceInbox.length === 2);
    assert.equal(aliceInbox[1]?.type, friendNoticeTypes.agree);
    assert.deepEqual(noticeContent(aliceInbox[1]), { fromUserId: bob.userId, toUserId: alice.userId, direction: 1, content: "" });

    const records = await world.stack.api.deps.models.newFriends.find({ userId: { $in: [alice.userId, bob.userId] } }).lean();
    assert.equal(records.length, 4);
    assert.ok(
      records.every((r) => r.delivered === true),
      "every record is marked delivered",
    );
  });

  it("an offline user gets the friend request by sync after connecting", async () => {
    const alice = await registerUser(world.stack, world.api);
    const carol = await registerUser(world.stack, world.api);
    const added = await world.api.post(`/v1/friends/${carol.userId}`, { greeting: "hello carol" }, alice.token);
    assert.equal(added.status, 200, JSON.stringify(added.body));

    const c = new ImClient({ url: gateway(world, 1).url, token: carol.token });
    world.clients.push(c);
    const inbox = collect(c);
    await c.connect();
    assert.equal(inbox.length, 1);
    assert.equal(inbox[0]?.type, friendNoticeTypes.greet);
    assert.equal(inbox[0]?.fromUserId, SYSTEM_NOTIFIER_ID);
    assert.deepEqual(noticeContent(inbox[0]), { fromUserId: alice.userId, toUserId: carol.userId, direction: 1, content: "hello carol" });
    // The history API shows it too, in the user's conversation with 10005.
    const history = await world.api.get<{ messages: DeliveredMessage[] }>(
      `/v1/conversations/${inbox[0]?.conversationId}/messages`,
      carol.token,
    );
    assert.equal(history.status, 200);
    assert.equal(history.body.messages.length, 1);
  });

  it("sendSystemMessage stores for the user only and is idempotent by messageId", async () => {
    const dave = await registerUser(world.stack, world.api);
    const d = await connectClient(world, dave, gateway(world, 0));
    const inbox = collect(d);
    const { messages, publisher } = world.stack.api.deps;
    const messageId = crypto.randomUUID();
    const first = await sendSystemMessage(messages, publisher, {
      toUserId: dave.userId,
      type: 10,
      content: { text: "welcome" },
      messageId,
    });
    const again = await sendSystemMessage(messages, publisher, {
      toUserId: dave.userId,
      type: 10,
      content: { text: "welcome" },
      messageId,
    });
    assert.equal(again.seq, first.seq);
    await eventually("dave gets it", () => inbox.length === 1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(inbox.length, 1, "the app sees it once");
    assert.equal(await messages.conversations.countDocuments({ userId: SYSTEM_NOTIFIER_ID }), 0, "10005 keeps no conversation list");
  });
});
