// Issue 11 §2, group shared files (seed shiku_room_share, notices 401 shared, 402 deleted, 403 downloaded):
// members list, add, download; the uploader, admins or owner delete; the room hears of each; strangers see
// no room at all (ROOM_NOT_FOUND, like every room route: issue 10 item 2l).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { canAccessUpload } from "@im/media";
import { type DeliveredMessage, messageType } from "@im/protocol";
import { errorOf } from "../support/client.js";
import { expectError } from "../support/friends.js";
import { historyOf } from "../support/messages.js";
import { collect, connectClient, eventually, gateway, type RealtimeWorld, startRealtime } from "../support/realtime.js";
import { expectStatus, type Page, Rooms } from "../support/rooms.js";
import { insertUpload } from "../support/upload-records.js";
import type { TestUser } from "../support/users.js";

const MEDIA = "https://media.example.test";

interface RoomFile {
  shareId: string;
  roomId: string;
  uploadId: string;
  userId: number;
  name: string;
  size: number;
  contentType: string;
  time: number;
}

describe("room shared files", () => {
  let world: RealtimeWorld;
  let r: Rooms;
  before(async () => {
    world = await startRealtime(1, { API_SMS_REQUIRED: "false", MEDIA_PUBLIC_URL: MEDIA });
    r = new Rooms(world.stack, world.api);
  });
  after(() => world.stop());

  const models = () => world.stack.api.deps.models;
  const files = (user: TestUser, roomId: string, query = "") =>
    r.client.get<Page<RoomFile>>(`/v1/rooms/${roomId}/files${query}`, user.token);
  const add = (user: TestUser, roomId: string, uploadId: string) =>
    r.client.post<RoomFile>(`/v1/rooms/${roomId}/files`, { uploadId }, user.token);
  const remove = (user: TestUser, roomId: string, shareId: string) => r.client.delete(`/v1/rooms/${roomId}/files/${shareId}`, user.token);
  const download = (user: TestUser, roomId: string, shareId: string) =>
    r.client.post<{ url: string }>(`/v1/rooms/${roomId}/files/${shareId}/download`, undefined, user.token);
  const notices = (inbox: DeliveredMessage[], type: number) =>
    inbox.filter((m) => m.type === type).map((m) => JSON.parse(m.content) as Record<string, unknown>);

  it("members share, list (newest first, paged), download and delete files; every member hears 401, 403, 402", async () => {
    const [owner, member, other] = await r.users(3);
    const roomId = await r.room(owner, [member, other]);
    const inbox = collect(await connectClient(world, other, gateway(world, 0)));
    const pdf = await insertUpload(models(), {
      ownerId: member.userId,
      kind: "file",
      name: "minutes.pdf",
      size: 2048,
      contentType: "application/pdf",
    });
    const photo = await insertUpload(models(), { ownerId: member.userId, kind: "image", name: "team.jpg", size: 999 });

    const first = await add(member, roomId, pdf);
    expectStatus(first, 201);
    assert.deepEqual(
      { ...first.body, shareId: undefined, time: undefined },
      {
        shareId: undefined,
        time: undefined,
        roomId,
        uploadId: pdf,
        userId: member.userId,
        name: "minutes.pdf",
        size: 2048,
        contentType: "application/pdf",
      },
    );
    assert.match(first.body.shareId, /^[0-9a-f]{32}$/);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const second = await add(member, roomId, photo);
    expectStatus(second, 201);
    // Sharing the same upload again answers the same share and stores no second 401.
    const again = await add(member, roomId, pdf);
    expectStatus(again, 201);
    assert.equal(again.body.shareId, first.body.shareId);

    await eventually("two 401s", () => notices(inbox, messageType.groupFileUpload).length >= 2);
    const uploads = notices(inbox, messageType.groupFileUpload);
    assert.deepEqual(
      uploads.map((n) => [n.shareId, n.name, n.size, n.operator, n.roomId]),
      [
        [first.body.shareId, "minutes.pdf", 2048, member.userId, roomId],
        [second.body.shareId, "team.jpg", 999, member.userId, roomId],
      ],
    );
    const history = await historyOf(world, owner, `g_${roomId}`);
    assert.equal(
      history.messages.filter((m) => m.type === messageType.groupFileUpload).length,
      2,
      "stored once each, also for offline members",
    );

    const list = await files(owner, roomId);
    expectStatus(list, 200);
    assert.deepEqual(
      list.body.items.map((f) => f.shareId),
      [second.body.shareId, first.body.shareId],
      "newest first",
    );
    const paged = await files(other, roomId, "?pageSize=1&page=1");
    assert.deepEqual([paged.body.items.map((f) => f.shareId), paged.body.hasMore], [[first.body.shareId], false]);

    // Download: the URL of the upload app; the room hears a 403; and the room's members may fetch it there.
    const got = await download(other, roomId, first.body.shareId);
    expectStatus(got, 200);
    assert.equal(got.body.url, `${MEDIA}/v1/media/${pdf}`);
    await eventually("a 403", () => notices(inbox, messageType.groupFileDownload).length === 1);
    assert.deepEqual(notices(inbox, messageType.groupFileDownload)[0]?.userIds, [other.userId]);
    const upload = await models().uploads.findById(pdf).lean();
    assert.ok(upload);
    const deps = { models: models(), messages: world.stack.api.deps.messages };
    assert.equal(await canAccessUpload(deps, other.userId, upload), true, "a member may fetch a shared file");

    // Delete: a plain member may not delete another's file; the uploader may.
    expectError(await remove(other, roomId, first.body.shareId), 403, "ROOM_PERMISSION_DENIED");
    expectStatus(await remove(member, roomId, first.body.shareId), 204);
    await eventually("a 402", () => notices(inbox, messageType.groupFileDelete).length === 1);
    assert.equal(notices(inbox, messageType.groupFileDelete)[0]?.shareId, first.body.shareId);
    expectError(await remove(member, roomId, first.body.shareId), 404, "ROOM_SHARE_NOT_FOUND");
    expectError(await download(other, roomId, first.body.shareId), 404, "ROOM_SHARE_NOT_FOUND");
    assert.equal(await canAccessUpload(deps, other.userId, upload), false, "no longer shared: no longer fetched");
    // The owner (and admins) may delete anyone's file.
    expectStatus(await remove(owner, roomId, second.body.shareId), 204);
    assert.deepEqual((await files(member, roomId)).body.items, []);
  });

  it("refuses someone else's upload, a missing or pending one, and avatars", async () => {
    const [owner, member] = await r.users(2);
    const roomId = await r.room(owner, [member]);
    const owners = await insertUpload(models(), { ownerId: owner.userId, kind: "file" });
    const pending = await insertUpload(models(), { ownerId: member.userId, kind: "file", status: "pending" });
    const avatar = await insertUpload(models(), { ownerId: member.userId, kind: "avatar" });
    expectError(await add(member, roomId, owners), 403, "UPLOAD_NOT_SHAREABLE");
    expectError(await add(member, roomId, pending), 404, "UPLOAD_NOT_FOUND");
    expectError(await add(member, roomId, "0".repeat(32)), 404, "UPLOAD_NOT_FOUND");
    expectError(await add(member, roomId, avatar), 400, "UPLOAD_KIND_MISMATCH");
    const bad = await add(member, roomId, "../../etc/passwd");
    assert.equal(errorOf(bad).key, "VALIDATION_FAILED");
    assert.deepEqual((await files(owner, roomId)).body.items, []);
  });

  it("answers strangers as if the room did not exist, and lets nobody outside list, add, download or delete", async () => {
    const [owner, member, stranger] = await r.users(3);
    const roomId = await r.room(owner, [member]);
    const pdf = await insertUpload(models(), { ownerId: member.userId, kind: "file" });
    const mine = await insertUpload(models(), { ownerId: stranger.userId, kind: "file" });
    const shared = await add(member, roomId, pdf);
    expectStatus(shared, 201);
    const shareId = shared.body.shareId;
    const missing = "f".repeat(32);
    for (const [name, reply] of [
      ["list", await files(stranger, roomId)],
      ["add", await add(stranger, roomId, mine)],
      ["download", await download(stranger, roomId, shareId)],
      ["delete", await remove(stranger, roomId, shareId)],
      ["list a missing room", await files(stranger, missing)],
    ] as const) {
      assert.equal(reply.status, 404, name);
      assert.equal(errorOf(reply).key, "ROOM_NOT_FOUND", name);
    }
    // A member who leaves loses the files too.
    expectStatus(await r.remove(member, roomId, member.userId), 204);
    expectError(await files(member, roomId), 404, "ROOM_NOT_FOUND");
    const upload = await models().uploads.findById(pdf).lean();
    assert.ok(upload);
    assert.equal(await canAccessUpload({ models: models(), messages: world.stack.api.deps.messages }, stranger.userId, upload), false);
    assert.equal((await files(owner, roomId)).body.items.length, 1, "still listed for the members");
  });

  it("refuses a muted member's share (ROOM_MUTED), as it refuses their messages; the owner may share in a muted room", async () => {
    const [owner, member] = await r.users(2);
    const roomId = await r.room(owner, [member]);
    const theirs = await insertUpload(models(), { ownerId: member.userId, kind: "file", name: "a.pdf" });
    const ownersFile = await insertUpload(models(), { ownerId: owner.userId, kind: "file", name: "b.pdf" });
    const until = Date.now() + 3_600_000;
    expectStatus(
      await r.client.call("PUT", `/v1/rooms/${roomId}/members/${member.userId}`, { body: { talkTime: until }, token: owner.token }),
      200,
    );
    expectError(await add(member, roomId, theirs), 403, "ROOM_MUTED");
    expectStatus(
      await r.client.call("PUT", `/v1/rooms/${roomId}/members/${member.userId}`, { body: { talkTime: 0 }, token: owner.token }),
      200,
    );
    expectStatus(await r.client.call("PATCH", `/v1/rooms/${roomId}`, { body: { talkTime: until }, token: owner.token }), 200);
    expectError(await add(member, roomId, theirs), 403, "ROOM_MUTED");
    expectStatus(await add(owner, roomId, ownersFile), 201);
    assert.equal(await models().roomShares.countDocuments({ roomId }), 1);
  });
});
