import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ImClient } from "@im/client";
import { type AckResult, type DeliveredMessage, messageTypes, type Receipt, type SendMessageInput } from "@im/protocol";
import { connectClient, gateway, type RealtimeWorld, startRealtime } from "../support/realtime.js";
import { Rooms } from "../support/rooms.js";
import { insertUpload, type UploadRecord } from "../support/upload-records.js";

/** Media types (issue 11) carry an upload of a fitting kind. */
const mediaUploads: Record<number, Omit<UploadRecord, "ownerId">> = {
  2: { kind: "image" },
  3: { kind: "voice" },
  5: { kind: "image", contentType: "image/gif" },
  6: { kind: "video" },
  7: { kind: "voice" },
  9: { kind: "file" },
};

/** Budgets far above this test's traffic: it checks who may send what, not how often. */
const generous = {
  API_SMS_REQUIRED: "false",
  GATEWAY_RATE_SEND_PER_SOCKET: "100000",
  GATEWAY_RATE_SEND_PER_USER: "100000",
  GATEWAY_RATE_RELAY_PER_SOCKET: "100000",
  GATEWAY_RATE_RELAY_PER_USER: "100000",
};

/** Sends one event on the raw socket of an SDK client: the server's own answer, no SDK retry. */
function rawSend(client: ImClient, message: SendMessageInput): Promise<AckResult<{ receipt: Receipt }>> {
  return client.socket.timeout(10_000).emitWithAck("message:send", message);
}

/** Everything a fresh device of `token` gets by sync. */
async function syncedByNewDevice(world: RealtimeWorld, token: string): Promise<DeliveredMessage[]> {
  const device = new ImClient({ url: gateway(world, 0).url, token, resource: "pc" });
  world.clients.push(device);
  const inbox: DeliveredMessage[] = [];
  device.on("message", (message) => inbox.push(message));
  await device.connect();
  device.close();
  return inbox;
}

describe("who may originate each message type (issue 10 item 1e)", () => {
  let world: RealtimeWorld;
  let rooms: Rooms;
  before(async () => {
    world = await startRealtime(1, generous);
    rooms = new Rooms(world.stack, world.api);
  });
  after(() => world.stop());

  for (const chatType of [1, 2] as const) {
    it(`${chatType === 1 ? "single chat" : "room"}: every client type is accepted, every server-only type refused and not stored`, async () => {
      const [alice, bob] = await rooms.users(2);
      const to = chatType === 1 ? String(bob.userId) : await rooms.room(alice, [bob]);
      const a = await connectClient(world, alice, gateway(world, 0));
      const b = await connectClient(world, bob, gateway(world, 0));
      // Targets for the types that refer to another message: alice's own (recall) and bob's (read receipt).
      const own = await a.send({ chatType, to, type: 1, content: "mine" });
      const theirs = await b.send({ chatType, to: chatType === 1 ? String(alice.userId) : to, type: 1, content: "theirs" });

      const refused: number[] = [];
      const stored = new Set<string>();
      for (const [key, definition] of Object.entries(messageTypes)) {
        const type = Number(key);
        const messageId = crypto.randomUUID();
        const objectId = type === 202 ? own.messageId : type === 26 ? theirs.messageId : undefined;
        const media = mediaUploads[type];
        const uploadId = media ? await insertUpload(world.stack.api.deps.models, { ownerId: alice.userId, ...media }) : undefined;
        const result = await rawSend(a, {
          messageId,
          chatType,
          to,
          type,
          content: `forged ${type}`,
          ...(objectId ? { objectId } : {}),
          ...(uploadId ? { uploadId } : {}),
        });
        if (definition.origin === "server") {
          assert.equal(result.ok, false, `type ${type} (${definition.name}) must be refused`);
          if (!result.ok) assert.equal(result.error.key, "MESSAGE_TYPE_NOT_ALLOWED", `type ${type}`);
          refused.push(type);
        } else {
          assert.equal(result.ok, true, `type ${type} (${definition.name}): ${JSON.stringify(result)}`);
          if (result.ok) {
            assert.equal(result.receipt.seq > 0, definition.origin === "client", `type ${type}: stored iff origin client`);
            // A read receipt is stored under the id derived from reader and message (the receipt says which).
            if (definition.origin === "client") stored.add(result.receipt.messageId);
          }
        }
      }
      assert.ok(refused.includes(28) && refused.includes(83) && refused.includes(910) && refused.includes(401), "the issue's examples");

      // Nothing refused was stored: a new device of either side syncs exactly the accepted client types.
      for (const user of [alice, bob]) {
        const synced = await syncedByNewDevice(world, user.token);
        const forged = synced.filter(
          (m) => m.fromUserId === alice.userId && messageTypes[m.type as keyof typeof messageTypes]?.origin !== "client",
        );
        assert.deepEqual(
          forged.map((m) => m.type),
          [],
          "no server-only or relay type from a client is stored",
        );
        const ids = new Set(synced.map((m) => m.messageId));
        for (const id of stored) assert.ok(ids.has(id), `accepted message ${id} is synced`);
      }
    });
  }
});
