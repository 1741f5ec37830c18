// Attack: the same messageId sent at once with two different uploads. One message is stored; the other send
// is MESSAGE_ID_REUSED and must change nothing: the grant names the upload the stored message carries, so its
// recipient can fetch what they received (docs/messaging.md "Idempotency").
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { canAccessUpload } from "@im/media";
import { messageType } from "@im/protocol";
import { sendRaw } from "../support/messages.js";
import { connectClient, gateway, type RealtimeWorld, startRealtime } from "../support/realtime.js";
import { Rooms } from "../support/rooms.js";
import { insertUpload } from "../support/upload-records.js";
import type { TestUser } from "../support/users.js";

describe("attacks: one messageId, two uploads at once", () => {
  let world: RealtimeWorld;
  let rooms: Rooms;
  before(async () => {
    world = await startRealtime(1, { API_SMS_REQUIRED: "false" });
    rooms = new Rooms(world.stack, world.api);
  });
  after(() => world.stop());

  const models = () => world.stack.api.deps.models;
  const mayFetch = async (user: TestUser, uploadId: string) => {
    const found = await models().uploads.findById(uploadId).lean();
    assert.ok(found);
    return canAccessUpload({ models: models(), messages: world.stack.api.deps.messages }, user.userId, found);
  };

  it("the grant always names the stored message's upload", async () => {
    const [alice, bob] = await rooms.users(2);
    const a1 = await connectClient(world, alice, gateway(world, 0));
    const a2 = await connectClient(world, { ...alice }, gateway(world, 0));
    const to = { chatType: 1 as const, to: String(bob.userId) };
    for (let round = 0; round < 12; round++) {
      const u1 = await insertUpload(models(), { ownerId: alice.userId, kind: "image" });
      const u2 = await insertUpload(models(), { ownerId: alice.userId, kind: "image" });
      const messageId = crypto.randomUUID();
      const [r1, r2] = await Promise.all([
        sendRaw(a1, { messageId, ...to, type: messageType.image, uploadId: u1 }),
        sendRaw(a2, { messageId, ...to, type: messageType.image, uploadId: u2 }),
      ]);
      const won = r1.ok ? r1 : r2;
      assert.ok(won.ok, JSON.stringify([r1, r2]));
      const conversationId = won.receipt.conversationId;
      const history = await world.api.get<{ messages: Array<{ messageId: string; media?: { uploadId: string } }> }>(
        `/v1/conversations/${conversationId}/messages?limit=100`,
        bob.token,
      );
      const carried = history.body.messages.find((m) => m.messageId === messageId)?.media?.uploadId;
      assert.ok(carried);
      const grant = await models().mediaGrants.findById(`${conversationId}:${messageId}`).lean();
      assert.equal(grant?.uploadId, carried, `round ${round}: ${JSON.stringify([r1.ok, r2.ok])}`);
      assert.equal(await mayFetch(bob, carried), true, "Bob may fetch what he received");
      assert.equal(await mayFetch(bob, carried === u1 ? u2 : u1), false, "and not the other upload");
    }
  });
});
