import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { markRecalled, recordRead, rememberConversation, storeGroup, storeSingle } from "@im/messaging";
import { chatTypes, type DeliveredMessage, groupConversationId, type SendMessage, singleConversationId } from "@im/protocol";
import { ApiClient, errorOf } from "../support/client.js";
import { startStack, type TestStack } from "../support/stack.js";
import { registerUser, type TestUser } from "../support/users.js";

interface History {
  conversationId: string;
  messages: Array<DeliveredMessage & { readCount?: number }>;
  hasMore: boolean;
}

interface ConversationItem {
  conversationId: string;
  chatType: number;
  peer: string;
  maxSeq: number;
  clearedSeq: number;
  createTime: number;
}

const text = (content: string, to: string | number, chatType: 1 | 2 = 1): SendMessage => ({
  messageId: crypto.randomUUID(),
  chatType,
  to: String(to),
  type: 1,
  content,
  isEncrypt: false,
  isReadDel: false,
});

describe("conversations: history over REST and deleting my copy", () => {
  let stack: TestStack;
  let client: ApiClient;
  before(async () => {
    stack = await startStack({ API_SMS_REQUIRED: "false" });
    client = new ApiClient(stack.api.url);
  });
  after(() => stack.stop());

  const store = () => stack.api.deps.messages;
  const send = (from: TestUser, to: TestUser, content: string) =>
    storeSingle(store(), { userId: from.userId, resource: "android" }, text(content, to.userId), to.userId);
  const history = async (user: TestUser, conversationId: string, query = "") => {
    const reply = await client.get<History>(`/v1/conversations/${conversationId}/messages${query}`, user.token);
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    return reply.body;
  };
  const seqs = (page: History) => page.messages.map((m) => m.seq);
  const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

  it("pages a conversation backwards from the latest and forwards after a seq", async () => {
    const alice = await registerUser(stack, client);
    const bob = await registerUser(stack, client);
    for (let i = 1; i <= 250; i++) await send(i % 2 ? alice : bob, i % 2 ? bob : alice, `m${i}`);
    const id = singleConversationId(alice.userId, bob.userId);

    const latest = await history(alice, id, "?limit=100");
    assert.deepEqual(seqs(latest), range(151, 250));
    assert.equal(latest.hasMore, true);
    assert.equal(latest.messages[0]?.content, "m151");
    const older = await history(alice, id, "?limit=100&beforeSeq=151");
    assert.deepEqual(seqs(older), range(51, 150));
    const oldest = await history(bob, id, "?limit=100&beforeSeq=51");
    assert.deepEqual(seqs(oldest), range(1, 50));
    assert.equal(oldest.hasMore, false);
    const after200 = await history(bob, id, "?afterSeq=200&limit=100");
    assert.deepEqual(seqs(after200), range(201, 250));
    assert.equal(after200.hasMore, false);
    const firstPage = await history(bob, id, "?afterSeq=0");
    assert.deepEqual(seqs(firstPage), range(1, 50), "default limit 50");
    assert.equal(firstPage.hasMore, true);

    const list = await client.get<{ items: ConversationItem[] }>("/v1/conversations", alice.token);
    assert.equal(list.status, 200, JSON.stringify(list.body));
    assert.deepEqual(list.body.items, [
      { conversationId: id, chatType: 1, peer: String(bob.userId), maxSeq: 250, clearedSeq: 0, createTime: list.body.items[0]?.createTime },
    ]);
  });

  it("lets only members read a conversation", async () => {
    const alice = await registerUser(stack, client);
    const bob = await registerUser(stack, client);
    const carol = await registerUser(stack, client);
    await send(alice, bob, "private");
    const id = singleConversationId(alice.userId, bob.userId);
    for (const path of [`/v1/conversations/${id}/messages`, `/v1/conversations/g_nosuchroom/messages`]) {
      const reply = await client.get(path, carol.token);
      assert.equal(reply.status, 404, path);
      assert.equal(errorOf(reply).key, "CONVERSATION_NOT_FOUND");
    }
    const anonymous = await client.get(`/v1/conversations/${id}/messages`);
    assert.equal(anonymous.status, 401);
    const deleting = await client.delete(`/v1/conversations/${id}`, carol.token);
    assert.equal(deleting.status, 404);
    assert.equal((await history(bob, id)).messages.length, 1, "a refused delete changed nothing");
    const none = await client.get<{ items: unknown[] }>("/v1/conversations", carol.token);
    assert.deepEqual(none.body.items, []);
  });

  it("deletes my copy of a single chat: mine is gone, the other side keeps theirs, later messages arrive", async () => {
    const alice = await registerUser(stack, client);
    const bob = await registerUser(stack, client);
    for (let i = 1; i <= 5; i++) await send(alice, bob, `old ${i}`);
    const id = singleConversationId(alice.userId, bob.userId);
    const deleted = await client.delete(`/v1/conversations/${id}`, alice.token);
    assert.equal(deleted.status, 204, JSON.stringify(deleted.body));
    assert.deepEqual((await history(alice, id)).messages, []);
    assert.deepEqual(seqs(await history(bob, id)), range(1, 5));
    // Erased in place: no content left, the seqs stay taken (tombstones) so no seq can be stored twice.
    assert.equal(
      await stack.api.deps.messages.shards
        .user(alice.userId % stack.config.MESSAGE_SHARDS)
        .countDocuments({ ownerId: alice.userId, conversationId: id, $or: [{ tombstone: { $ne: true } }, { content: { $ne: "" } }] }),
      0,
    );

    await send(bob, alice, "new");
    const after = await history(alice, id);
    assert.deepEqual(
      after.messages.map((m) => m.content),
      ["new"],
    );
    assert.deepEqual(seqs(await history(alice, id, "?afterSeq=0")), [6]);
    const list = await client.get<{ items: ConversationItem[] }>("/v1/conversations", alice.token);
    assert.equal(list.body.items[0]?.clearedSeq, 5);
    assert.equal(list.body.items[0]?.maxSeq, 6);
    // Deleting again is fine.
    assert.equal((await client.delete(`/v1/conversations/${id}`, alice.token)).status, 204);
    assert.deepEqual((await history(alice, id)).messages, []);
  });

  it("shows group messages with their read count, recalled ones blanked, and clears a group for me only", async () => {
    const alice = await registerUser(stack, client);
    const bob = await registerUser(stack, client);
    const roomId = `room${crypto.randomUUID().slice(0, 8)}`;
    const id = groupConversationId(roomId);
    for (const user of [alice, bob])
      await rememberConversation(store(), user.userId, { conversationId: id, chatType: chatTypes.group, peer: roomId });
    const first = await storeGroup(store(), { userId: alice.userId, resource: "web" }, text("hello all", roomId, 2), roomId);
    const second = await storeGroup(store(), { userId: bob.userId, resource: "web" }, text("regret", roomId, 2), roomId);
    await recordRead(store(), id, first.message.messageId, bob.userId);
    await recordRead(store(), id, first.message.messageId, 424242);
    await markRecalled(store(), id, second.message.messageId);

    const page = await history(alice, id);
    assert.deepEqual(
      page.messages.map((m) => [m.content, m.readCount, m.recalled ?? false]),
      [
        ["hello all", 2, false],
        ["", 0, true],
      ],
    );
    assert.equal((await client.delete(`/v1/conversations/${id}`, alice.token)).status, 204);
    assert.deepEqual((await history(alice, id)).messages, []);
    assert.equal((await history(bob, id)).messages.length, 2, "the room's log is untouched");
  });

  it("refuses bad input", async () => {
    const alice = await registerUser(stack, client);
    const bob = await registerUser(stack, client);
    await send(alice, bob, "x");
    const id = singleConversationId(alice.userId, bob.userId);
    const bad = [
      `/v1/conversations/${id}/messages?afterSeq=1&beforeSeq=5`,
      `/v1/conversations/${id}/messages?limit=101`,
      `/v1/conversations/${id}/messages?limit=0`,
      `/v1/conversations/${id}/messages?afterSeq=-1`,
      `/v1/conversations/${id}/messages?beforeSeq=abc`,
      `/v1/conversations/x_1_2/messages`,
      `/v1/conversations/${"s_".padEnd(90, "1")}/messages`,
      `/v1/conversations/s_1%20OR%201/messages`,
      "/v1/conversations?pageSize=1000",
    ];
    for (const path of bad) {
      const reply = await client.get(path, alice.token);
      assert.equal(reply.status, 400, `${path}: ${JSON.stringify(reply.body)}`);
      assert.equal(errorOf(reply).key, "VALIDATION_FAILED");
    }
    const badDelete = await client.delete("/v1/conversations/nonsense", alice.token);
    assert.equal(badDelete.status, 400);
  });
});
