import { createHash } from "node:crypto";
import type { Models, RoomShareDoc } from "@im/data";
import { type Broadcaster, type MessageStore, roomEventTypes, sendRoomEvent } from "@im/messaging";

/** A stored room share (shiku_room_share) with its id. */
export type RoomShare = RoomShareDoc & { _id: string };

/** What removing a share needs: the models, the message store and a broadcaster for the 402 notice. */
export interface RoomFileDeps {
  models: Pick<Models, "roomShares" | "roomMembers">;
  messages: MessageStore;
  io: Broadcaster;
}

/**
 * The messageId of the 401 (upload) or 402 (delete) notice of a share: derived from the share, so a retried
 * add or delete stores its notice once (and delivers it again). 32 hex digits.
 */
export const roomFileNoticeId = (what: "upload" | "delete", shareId: string): string =>
  createHash("sha256").update(`${what}:${shareId}`).digest("hex").slice(0, 32);

/** What a 401/402/403 notice says (content JSON; roomId and operator are added by the room-event kit). */
export const roomFileNotice = (share: RoomShare) => ({
  shareId: share._id,
  uploadId: share.uploadId,
  name: share.name,
  size: share.size,
  contentType: share.contentType,
  fromUserId: share.userId,
});

/**
 * Deletes one share and sends 402 (seed type groupFileDelete) to every member of its room, from the system
 * account, by `operator`. Returns false when the share was already gone (then nothing is sent). Safe to
 * retry: the notice's messageId is derived from the share.
 */
export async function removeRoomShare(deps: RoomFileDeps, share: RoomShare, operator: number): Promise<boolean> {
  const deleted = await deps.models.roomShares.deleteOne({ _id: share._id, roomId: share.roomId });
  if (deleted.deletedCount === 0) return false;
  const members = await deps.models.roomMembers.find({ roomId: share.roomId }, { _id: 0, userId: 1 }).lean();
  await sendRoomEvent(
    deps.messages,
    deps.io,
    share.roomId,
    roomEventTypes.fileDelete,
    { userIds: [], operator, ...roomFileNotice(share) },
    members.map((member) => member.userId),
    { messageId: roomFileNoticeId("delete", share._id) },
  );
  return true;
}

/**
 * Takes an upload out of every room it is shared in (its owner deleted it: seed DeleteFileServlet), each room
 * hearing a 402. Returns how many shares were removed.
 */
export async function unshareUpload(deps: RoomFileDeps, uploadId: string, operator: number): Promise<number> {
  const shares = await deps.models.roomShares.find({ uploadId }).lean<RoomShare[]>();
  let removed = 0;
  for (const share of shares) if (await removeRoomShare(deps, share, operator)) removed++;
  return removed;
}
