// Attacks on room shared files (docs/messaging.md "Room shared files"): races, permissions, ex-members, notices.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { canAccessUpload } from "@im/media";
import { type DeliveredMessage, messageType } from "@im/protocol";
import { historyOf, keyOf, sendRaw } from "../support/messages.js";
import { collect, connectClient, eventually, gateway, type RealtimeWorld, startRealtime } from "../support/realtime.js";
import { type Page, Rooms } from "../support/rooms.js";
import { insertUpload } from "../support/upload-records.js";
import type { TestUser } from "../support/users.js";

const MEDIA = "https://media.example.test";

interface RoomFile {
  shareId: string;
  uploadId: string;
}

describe("attacks: room shared files", () => {
  let world: RealtimeWorld;
  let r: Rooms;
  before(async () => {
    world = await startRealtime(1, { API_SMS_REQUIRED: "false", MEDIA_PUBLIC_URL: MEDIA });
    r = new Rooms(world.stack, world.api);
  });
  after(() => world.stop());

  const models = () => world.stack.api.deps.models;
  const add = (user: TestUser, roomId: string, uploadId: string) =>
    r.client.post<RoomFile>(`/v1/rooms/${roomId}/files`, { uploadId }, user.token);
  const remove = (user: TestUser, roomId: string, shareId: string) => r.client.delete(`/v1/rooms/${roomId}/files/${shareId}`, user.token);
  const download = (user: TestUser, roomId: string, shareId: string) =>
    r.client.post<{ url: string }>(`/v1/rooms/${roomId}/files/${shareId}/download`, undefined, user.token);
  const mayFetch = async (user: TestUser, uploadId: string) => {
    const found = await models().uploads.findById(uploadId).lean();
    assert.ok(found);
    return canAccessUpload({ models: models(), messages: world.stack.api.deps.messages }, user.userId, found);
  };
  const stored = async (user: TestUser, roomId: string, type: number) => {
    const list = await r.client.get<{ items: Array<{ conversationId: string }> }>("/v1/conversations", user.token);
    const conv = list.body.items.find((c) => c.conversationId.includes(roomId));
    assert.ok(conv, JSON.stringify(list.body));
    return (await historyOf(world, user, conv.conversationId)).messages.filter((m) => m.type === type);
  };
  const count = (inbox: DeliveredMessage[], type: number, shareId: string) =>
    new Set(inbox.filter((m) => m.type === type && m.content.includes(shareId)).map((m) => m.messageId)).size;

  it("the same upload added twice at once is one share and one stored 401", async () => {
    const [owner, member] = await r.users(2);
    const roomId = await r.room(owner, [member]);
    const inbox = collect(await connectClient(world, member, gateway(world, 0)));
    const pdf = await insertUpload(models(), { ownerId: owner.userId, kind: "file", contentType: "application/pdf", name: "a.pdf" });
    const replies = await Promise.all([add(owner, roomId, pdf), add(owner, roomId, pdf), add(owner, roomId, pdf)]);
    for (const reply of replies) assert.equal(reply.status, 201, JSON.stringify(reply.body));
    const shareIds = new Set(replies.map((reply) => reply.body.shareId));
    assert.equal(shareIds.size, 1);
    const shareId = replies[0].body.shareId;
    assert.equal(await models().roomShares.countDocuments({ roomId, uploadId: pdf }), 1);
    await eventually("401", () => count(inbox, messageType.groupFileUpload, shareId) === 1);
    assert.equal((await stored(owner, roomId, messageType.groupFileUpload)).length, 1, "stored once");
  });

  it("deletion: a plain member is refused, an admin may; two deletes at once: one 204, one 404, one 402", async () => {
    const [owner, admin, member, uploader] = await r.users(4);
    const roomId = await r.room(owner, [admin, member, uploader]);
    assert.equal((await r.putMember(owner, roomId, admin.userId, { role: 2 })).status, 200);
    const inbox = collect(await connectClient(world, member, gateway(world, 0)));
    const pdf = await insertUpload(models(), { ownerId: uploader.userId, kind: "file", contentType: "application/pdf" });
    const share = await add(uploader, roomId, pdf);
    assert.equal(share.status, 201);
    const denied = await remove(member, roomId, share.body.shareId);
    assert.equal(denied.status, 403, JSON.stringify(denied.body));
    const both = await Promise.all([remove(admin, roomId, share.body.shareId), remove(owner, roomId, share.body.shareId)]);
    assert.deepEqual(both.map((b) => b.status).sort(), [204, 404], JSON.stringify(both.map((b) => b.body)));
    await eventually("402", () => count(inbox, messageType.groupFileDelete, share.body.shareId) === 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(count(inbox, messageType.groupFileDelete, share.body.shareId), 1);
    assert.equal(await mayFetch(member, pdf), false, "no share left: the member may not fetch it");
  });

  it("an ex-member can neither list, download nor fetch a shared file; clients cannot send 401/402/403", async () => {
    const [owner, member] = await r.users(2);
    const roomId = await r.room(owner, [member]);
    const pdf = await insertUpload(models(), { ownerId: owner.userId, kind: "file", contentType: "application/pdf" });
    const share = await add(owner, roomId, pdf);
    assert.equal((await download(member, roomId, share.body.shareId)).status, 200);
    assert.equal(await mayFetch(member, pdf), true);
    assert.equal((await r.remove(member, roomId, member.userId)).status, 204);
    assert.equal((await download(member, roomId, share.body.shareId)).status, 404);
    assert.equal((await r.client.get<Page<RoomFile>>(`/v1/rooms/${roomId}/files`, member.token)).status, 404);
    assert.equal(await mayFetch(member, pdf), false);
    const o = await connectClient(world, owner, gateway(world, 0));
    for (const type of [messageType.groupFileUpload, messageType.groupFileDelete, messageType.groupFileDownload]) {
      const content = JSON.stringify({ roomId, shareId: share.body.shareId, uploadId: pdf });
      assert.equal(keyOf(await sendRaw(o, { chatType: 2, to: roomId, type, content })), "MESSAGE_TYPE_NOT_ALLOWED");
      // With an uploadId the shape rule refuses it first (VALIDATION_FAILED): refused either way.
      assert.equal(keyOf(await sendRaw(o, { chatType: 2, to: roomId, type, content, uploadId: pdf })), "VALIDATION_FAILED");
    }
    for (const query of ["?pageSize=101", "?pageSize=0", "?page=-1", "?page=10001", "?pageSize=1e2"]) {
      assert.equal((await r.client.get(`/v1/rooms/${roomId}/files${query}`, owner.token)).status, 400, query);
    }
  });

  it("deleting the room deletes its shared files (else their uploads would never expire)", async () => {
    const [owner, member] = await r.users(2);
    const roomId = await r.room(owner, [member]);
    const pdf = await insertUpload(models(), { ownerId: member.userId, kind: "file", contentType: "application/pdf" });
    assert.equal((await add(member, roomId, pdf)).status, 201);
    assert.equal((await r.delete(owner, roomId)).status, 204);
    assert.equal(await models().roomShares.countDocuments({ roomId }), 0);
    assert.equal(await mayFetch(member, pdf), true, "its owner keeps it");
  });
});
