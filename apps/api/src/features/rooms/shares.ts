import { randomBytes } from "node:crypto";
import { UploadStatus } from "@im/data";
import { mediaUrl, type RoomShare, removeRoomShare, roomFileNotice, roomFileNoticeId } from "@im/media";
import { roomEventTypes } from "@im/messaging";
import { AppError } from "@im/protocol";
import type { ApiDeps } from "../../context.js";
import { type PageQuery, paged } from "../../http/common-schemas.js";
import { isManager, loadRoom, requireMember } from "./access.js";
import { announce, memberIds } from "./events.js";

/** MongoDB's duplicate key error. */
const DUPLICATE_KEY = 11000;

/** A room's shared file as the API shows it. */
export interface RoomFileView {
  shareId: string;
  roomId: string;
  uploadId: string;
  userId: number;
  name: string;
  size: number;
  contentType: string;
  time: number;
}

const toView = (share: RoomShare): RoomFileView => ({
  shareId: share._id,
  roomId: share.roomId,
  uploadId: share.uploadId,
  userId: share.userId,
  name: share.name,
  size: share.size,
  contentType: share.contentType,
  time: share.time,
});

/** The room's state and the caller's membership; a stranger is answered ROOM_NOT_FOUND, like a missing room. */
async function asMember(deps: ApiDeps, roomId: string, me: number) {
  await loadRoom(deps, roomId);
  return requireMember(deps, roomId, me);
}

async function loadShare(deps: ApiDeps, roomId: string, shareId: string): Promise<RoomShare> {
  const share = await deps.models.roomShares.findOne({ _id: shareId, roomId }).lean<RoomShare>();
  if (!share) throw new AppError("ROOM_SHARE_NOT_FOUND");
  return share;
}

/** The room's shared files, newest first (members only; seed shiku_room_share). */
export async function listRoomFiles(deps: ApiDeps, me: number, roomId: string, query: PageQuery) {
  await asMember(deps, roomId, me);
  const page = await paged(query, (skip, limit) =>
    deps.models.roomShares.find({ roomId }).sort({ time: -1, _id: -1 }).skip(skip).limit(limit).lean<RoomShare[]>(),
  );
  return { ...page, items: page.items.map(toView) };
}

/**
 * Shares one of the caller's uploads with the room (a member; seed type 401 sent to every member). The
 * upload must be the caller's (UPLOAD_NOT_SHAREABLE), ready and not expired (UPLOAD_NOT_FOUND), and not an
 * avatar (UPLOAD_KIND_MISMATCH). One upload is shared once per room (unique index): sharing it again answers
 * the existing share and repeats its 401 (the same notice, stored once: a retry after a failure is safe).
 */
export async function addRoomFile(deps: ApiDeps, me: number, roomId: string, uploadId: string): Promise<RoomFileView> {
  const room = await loadRoom(deps, roomId);
  const member = await requireMember(deps, roomId, me);
  // Sharing a file speaks in the room (a 401 to everyone): muted members may not, as for messages (gateway targets/group.ts).
  const now = Date.now();
  if ((room.talkTime > now && !isManager(member)) || member.talkTime > now) throw new AppError("ROOM_MUTED");
  const upload = await deps.models.uploads.findById(uploadId).lean();
  if (!upload || upload.status !== UploadStatus.ready || (typeof upload.expireTime === "number" && upload.expireTime <= Date.now())) {
    throw new AppError("UPLOAD_NOT_FOUND");
  }
  if (upload.ownerId !== me) throw new AppError("UPLOAD_NOT_SHAREABLE");
  if (upload.kind === "avatar") throw new AppError("UPLOAD_KIND_MISMATCH");
  const fresh = {
    _id: randomBytes(16).toString("hex"),
    roomId,
    uploadId,
    userId: me,
    name: upload.name || "file",
    size: upload.size,
    contentType: upload.contentType,
    time: Date.now(),
  };
  let share: RoomShare = fresh;
  try {
    await deps.models.roomShares.create(fresh);
  } catch (error) {
    if ((error as { code?: number }).code !== DUPLICATE_KEY) throw error;
    const existing = await deps.models.roomShares.findOne({ roomId, uploadId }).lean<RoomShare>();
    if (!existing) throw new AppError("BUSY_RETRY", { retryAfterSeconds: 1 }); // deleted meanwhile: try again
    share = existing;
  }
  await announce(
    deps,
    roomId,
    roomEventTypes.fileUpload,
    { userIds: [], operator: me, ...roomFileNotice(share) },
    await memberIds(deps, roomId),
    {
      messageId: roomFileNoticeId("upload", share._id),
    },
  );
  return toView(share);
}

/**
 * Deletes a shared file (its uploader, the room's admins or owner: else ROOM_PERMISSION_DENIED) and sends
 * 402 to every member. The upload itself stays (its owner deletes it in the upload app). ROOM_SHARE_NOT_FOUND
 * when there is no such share in this room.
 */
export async function deleteRoomFile(deps: ApiDeps, me: number, roomId: string, shareId: string): Promise<void> {
  const member = await asMember(deps, roomId, me);
  const share = await loadShare(deps, roomId, shareId);
  if (share.userId !== me && !isManager(member)) throw new AppError("ROOM_PERMISSION_DENIED");
  const removed = await removeRoomShare({ models: deps.models, messages: deps.messages, io: deps.publisher }, share, me);
  if (!removed) throw new AppError("ROOM_SHARE_NOT_FOUND");
}

/**
 * A member downloads a shared file: the room is told (403, as the seed does) and the caller gets the URL to
 * fetch it through the upload app, which lets the room's members in (canAccessUpload: room shares).
 */
export async function downloadRoomFile(deps: ApiDeps, me: number, roomId: string, shareId: string): Promise<{ url: string }> {
  await asMember(deps, roomId, me);
  const share = await loadShare(deps, roomId, shareId);
  await announce(
    deps,
    roomId,
    roomEventTypes.fileDownload,
    { userIds: [me], operator: me, ...roomFileNotice(share) },
    await memberIds(deps, roomId),
  );
  return { url: mediaUrl(deps.config.MEDIA_PUBLIC_URL, share.uploadId) };
}
