import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ImClient } from "@im/client";
import {
  type AckResult,
  type DeliveredMessage,
  MAX_CONTENT_BYTES,
  type Receipt,
  type SendMessageInput,
  singleConversationId,
} from "@im/protocol";
import { collect, connectClient, eventually, gateway, type RealtimeWorld, registerUser, startRealtime } from "../support/realtime.js";

/** Sends one event on the raw socket of an SDK client (no SDK checks or retries): the server's own answer. */
function rawSend(client: ImClient, message: Partial<SendMessageInput>): Promise<AckResult<{ receipt: Receipt }>> {
  return client.socket.timeout(10_000).emitWithAck("message:send", message as SendMessageInput);
}

describe("one content limit that fits the packet limit (issue 10 item 1f)", () => {
  let world: RealtimeWorld;
  before(async () => {
    world = await startRealtime(1, { API_SMS_REQUIRED: "false" });
  });
  after(() => world.stop());

  it("refuses the worst cases with VALIDATION_FAILED and keeps the socket", async () => {
    const alice = await registerUser(world.stack, world.api);
    const bob = await registerUser(world.stack, world.api);
    const a = await connectClient(world, alice, gateway(world, 0));
    let closed = 0;
    a.on("closed", () => {
      closed += 1;
    });
    const cases: Record<string, string> = {
      "16,384 emoji": "😀".repeat(16_384),
      "16,000 × U+0001": "\u0001".repeat(16_000),
      "16,385 UTF-16 units": `${"😀".repeat(8_192)}a`,
      "20,000 emoji": "😀".repeat(20_000),
      "one byte past the limit": "a".repeat(MAX_CONTENT_BYTES + 1),
      "a lone surrogate": "x\uD800y",
      "a lone low surrogate": "x\uDC00",
    };
    for (const [what, content] of Object.entries(cases)) {
      const result = await rawSend(a, { messageId: crypto.randomUUID(), chatType: 1, to: String(bob.userId), type: 1, content });
      assert.equal(result.ok, false, what);
      if (!result.ok) {
        assert.equal(result.error.key, "VALIDATION_FAILED", what);
        assert.equal(result.error.issues?.[0]?.field, "content", what);
      }
      assert.equal(a.socket.connected, true, `${what}: the socket stays open`);
    }
    for (const field of ["fromUserName", "toUserName"]) {
      const result = await rawSend(a, {
        messageId: crypto.randomUUID(),
        chatType: 1,
        to: String(bob.userId),
        type: 1,
        [field]: "x\uD800y",
      });
      assert.equal(result.ok ? "ok" : result.error.key, "VALIDATION_FAILED", field);
    }
    assert.equal(closed, 0, "never a silent close");
  });

  it("refuses lone surrogates in REST texts that sync returns (greetings, room names) with VALIDATION_FAILED", async () => {
    const alice = await registerUser(world.stack, world.api);
    const bob = await registerUser(world.stack, world.api);
    const greeting = await world.api.post<{ error: { key: string } }>(`/v1/friends/${bob.userId}`, { greeting: "x\uD800y" }, alice.token);
    assert.equal(greeting.status, 400);
    assert.equal(greeting.body.error.key, "VALIDATION_FAILED");
    const room = await world.api.post<{ error: { key: string } }>("/v1/rooms", { name: "room \uDC00" }, alice.token);
    assert.equal(room.status, 400);
    assert.equal(room.body.error.key, "VALIDATION_FAILED");
  });

  it("accepts the largest content in any script and returns it from live, sync and history exactly", async () => {
    const alice = await registerUser(world.stack, world.api);
    const bob = await registerUser(world.stack, world.api);
    const a = await connectClient(world, alice, gateway(world, 0));
    const b = await connectClient(world, bob, gateway(world, 0));
    const live = collect(b);
    const contents = [
      "\u0001".repeat(MAX_CONTENT_BYTES),
      "😀".repeat(MAX_CONTENT_BYTES / 4),
      "中".repeat(Math.floor(MAX_CONTENT_BYTES / 3)),
      `"\\\u2028${"\u007f".repeat(100)}`,
    ];
    for (const content of contents) {
      const result = await rawSend(a, {
        messageId: crypto.randomUUID(),
        chatType: 1,
        to: String(bob.userId),
        type: 1,
        content,
        fromUserName: "Ada 😀",
        toUserName: "Bob \u0001",
      });
      assert.equal(result.ok, true, JSON.stringify(result).slice(0, 300));
    }
    await eventually("live delivery", () => live.length === contents.length);
    const device = new ImClient({ url: gateway(world, 0).url, token: bob.token, resource: "pc" });
    world.clients.push(device);
    const synced: DeliveredMessage[] = collect(device);
    await device.connect();
    const history = await world.api.get<{ messages: DeliveredMessage[] }>(
      `/v1/conversations/${singleConversationId(alice.userId, bob.userId)}/messages`,
      bob.token,
    );
    assert.equal(history.status, 200);
    const strings = (m: DeliveredMessage) => [m.content, m.fromUserName, m.toUserName];
    assert.deepEqual(
      live.map(strings),
      contents.map((c) => [c, "Ada 😀", "Bob \u0001"]),
    );
    assert.deepEqual(synced.map(strings), live.map(strings), "sync returns what was delivered live");
    const fromHistory = [...history.body.messages].sort((x, y) => x.seq - y.seq);
    assert.deepEqual(fromHistory.map(strings), live.map(strings), "history returns what was delivered live");
  });
});
