import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { messageType } from "@im/protocol";
import { errorOf } from "../support/client.js";
import { type History, keyOf, sendRaw } from "../support/messages.js";
import { connectClient, gateway, type RealtimeWorld, registerUser, startRealtime } from "../support/realtime.js";

describe("recall window", () => {
  let world: RealtimeWorld;
  before(async () => {
    world = await startRealtime(1, { API_SMS_REQUIRED: "false", GATEWAY_RECALL_WINDOW_SECONDS: "1" });
  });
  after(() => world.stop());

  it("refuses a recall after GATEWAY_RECALL_WINDOW_SECONDS", async () => {
    const alice = await registerUser(world.stack, world.api);
    const bob = await registerUser(world.stack, world.api);
    const a = await connectClient(world, alice, gateway(world, 0));
    const quick = await a.send({ chatType: 1, to: String(bob.userId), type: messageType.text, content: "quick" });
    const slow = await a.send({ chatType: 1, to: String(bob.userId), type: messageType.text, content: "slow" });
    assert.equal(
      keyOf(await sendRaw(a, { chatType: 1, to: String(bob.userId), type: messageType.recall, objectId: quick.messageId })),
      "ok",
    );
    await new Promise((resolve) => setTimeout(resolve, 1_300));
    const late = await sendRaw(a, { chatType: 1, to: String(bob.userId), type: messageType.recall, objectId: slow.messageId });
    assert.equal(keyOf(late), "RECALL_WINDOW_PASSED");
    // Nor by reusing the id of an earlier message as a "resend" of a recall: refused, nothing recalled.
    const reused = await sendRaw(a, {
      messageId: quick.messageId,
      chatType: 1,
      to: String(bob.userId),
      type: messageType.recall,
      objectId: slow.messageId,
    });
    assert.equal(keyOf(reused), "MESSAGE_ID_REUSED");
    const reply = await world.api.get<History>(`/v1/conversations/${slow.conversationId}/messages`, bob.token);
    assert.equal(reply.status, 200, JSON.stringify(errorOf(reply)));
    assert.equal(reply.body.messages.find((m) => m.messageId === slow.messageId)?.content, "slow");
  });
});
