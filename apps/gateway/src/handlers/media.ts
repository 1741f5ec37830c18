import { UploadStatus } from "@im/data";
import { canAccessUpload } from "@im/media";
import { assertSameMessage, copiesOf, findCopy, type MessageDoc, type StoredMedia } from "@im/messaging";
import { AppError, isMediaMessageType, type MediaKind, mediaFitsType, type SendMessage } from "@im/protocol";
import type { GatewayDeps, ImSocket } from "../context.js";
import type { Target } from "../targets/target.js";

/** MongoDB's duplicate key error. */
const DUPLICATE_KEY = 11000;

/** The `media_grants` _id of a message: one message carries at most one upload. */
export const mediaGrantId = (conversationId: string, messageId: string) => `${conversationId}:${messageId}`;

function refuseField(message: string): never {
  throw new AppError("VALIDATION_FAILED", { issues: [{ field: "uploadId", message }] });
}

/**
 * The shape rule of `uploadId`, checked before anything else (also for relayed types): types 2, 3, 5, 6, 7, 9
 * need one, every other type may not have one. @throws AppError VALIDATION_FAILED (field uploadId).
 */
export function checkUploadField(message: Pick<SendMessage, "type" | "uploadId">): void {
  const media = isMediaMessageType(message.type);
  if (!media && message.uploadId !== undefined) refuseField("only media messages (types 2, 3, 5, 6, 7, 9) carry an upload");
  if (media && message.uploadId === undefined) refuseField("a media message (types 2, 3, 5, 6, 7, 9) needs the id of its upload");
}

/**
 * The stored message with this id, from whichever copy holds it: a visible copy first, else a burnt or
 * cleared one (a tombstone in place keeps its `_id` and `media`), so a resend of a burnt or cleared message
 * with another upload is refused MESSAGE_ID_REUSED before its grant could be replaced.
 */
async function knownMessage(deps: GatewayDeps, conversationId: string, messageId: string): Promise<MessageDoc | null> {
  let erased: MessageDoc | null = null;
  for (const { model, ownerId } of copiesOf(deps.store, conversationId)) {
    const found = await findCopy(model, ownerId, conversationId, messageId);
    if (found && !found.tombstone) return found;
    erased ??= found;
  }
  return erased;
}

/**
 * The upload a message carries, checked for its sender, or undefined for a message that is no media message
 * (the `uploadId` field itself was checked by checkUploadField):
 * - the upload must exist, be ready and not expired (UPLOAD_NOT_FOUND);
 * - the sender must own it or be allowed to fetch it (canAccessUpload of @im/media: a member of a room it is
 *   shared in, or a party of a message carrying it that they can still see — so a received image can be
 *   forwarded), else UPLOAD_NOT_SHAREABLE;
 * - its kind must fit the type (mediaFitsType: 2 image, 5 image/gif, 3 voice, 7 voice or audio file,
 *   6 video, 9 anything but an avatar), else UPLOAD_KIND_MISMATCH.
 * A resend of a stored message (same messageId and upload) is not checked again: it is answered with the
 * stored message, even if the sender may no longer share the upload (as for any resend).
 */
export async function checkMedia(
  deps: GatewayDeps,
  socket: ImSocket,
  message: SendMessage,
  target: Target,
): Promise<StoredMedia | undefined> {
  checkUploadField(message);
  if (message.uploadId === undefined) return undefined;
  const stored = await knownMessage(deps, target.conversationId, message.messageId);
  if (stored) {
    // A resend: the same message (else MESSAGE_ID_REUSED, before any effect) with the upload recorded then.
    try {
      assertSameMessage(stored, { userId: socket.data.userId, resource: socket.data.resource }, message, target.to);
    } catch (error) {
      await repairGrant(deps, target.conversationId, message.messageId);
      throw error;
    }
    if (stored.media) return stored.media;
  }
  const userId = socket.data.userId;
  const upload = await deps.models.uploads.findById(message.uploadId).lean();
  if (!upload || upload.status !== UploadStatus.ready || (typeof upload.expireTime === "number" && upload.expireTime <= Date.now())) {
    throw new AppError("UPLOAD_NOT_FOUND");
  }
  if (upload.ownerId !== userId && !(await canAccessUpload({ models: deps.models, messages: deps.store }, userId, upload))) {
    throw new AppError("UPLOAD_NOT_SHAREABLE");
  }
  if (!mediaFitsType(message.type, upload)) throw new AppError("UPLOAD_KIND_MISMATCH");
  return {
    uploadId: upload._id,
    kind: upload.kind as MediaKind,
    contentType: upload.contentType,
    size: upload.size,
    ...(typeof upload.width === "number" ? { width: upload.width } : {}),
    ...(typeof upload.height === "number" ? { height: upload.height } : {}),
    ...(typeof upload.duration === "number" ? { duration: upload.duration } : {}),
    ...(upload.name ? { name: upload.name } : {}),
    ...(upload.thumbKey ? { thumb: true } : {}),
  };
}

/**
 * Records that the message carries the upload (`media_grants`, _id `<conversationId>:<messageId>`) BEFORE the
 * message is stored, so recipients may fetch it as soon as they receive it. Idempotent: a resend finds its
 * grant. A grant naming another upload was left by an attempt that was never stored (a stored message with
 * another upload is refused MESSAGE_ID_REUSED before this): it is replaced, so the message's recipients get
 * exactly its own upload.
 */
export async function grantMedia(
  deps: GatewayDeps,
  socket: ImSocket,
  conversationId: string,
  messageId: string,
  media: StoredMedia,
): Promise<void> {
  const _id = mediaGrantId(conversationId, messageId);
  const grant = { _id, uploadId: media.uploadId, conversationId, messageId, fromUserId: socket.data.userId, createTime: Date.now() };
  try {
    await deps.models.mediaGrants.create(grant);
    return;
  } catch (error) {
    if ((error as { code?: number }).code !== DUPLICATE_KEY) throw error;
  }
  const existing = await deps.models.mediaGrants.findById(_id).lean();
  if (existing && existing.uploadId === media.uploadId) return;
  if (existing) await deps.models.mediaGrants.replaceOne({ _id, uploadId: existing.uploadId }, grant);
  else await deps.models.mediaGrants.create(grant); // deleted meanwhile (retention of an older message): write it again
}

/**
 * Makes the grant of a stored media message name the upload that message carries. Needed after a send that
 * lost the race for its messageId to another upload: both passed checkMedia before either was stored, the
 * loser's grantMedia replaced the winner's grant, then its insert hit the stored message (MESSAGE_ID_REUSED).
 * Without this the recipients could not fetch the image they received (and could fetch the loser's upload).
 * Called when such a send is refused MESSAGE_ID_REUSED (at the store, or on its resend); a no-op otherwise.
 */
export async function repairGrant(deps: GatewayDeps, conversationId: string, messageId: string): Promise<void> {
  const stored = await knownMessage(deps, conversationId, messageId);
  if (!stored?.media) return;
  const _id = mediaGrantId(conversationId, messageId);
  const uploadId = stored.media.uploadId;
  await deps.models.mediaGrants.updateOne({ _id, uploadId: { $ne: uploadId } }, { $set: { uploadId, fromUserId: stored.fromUserId } });
}
