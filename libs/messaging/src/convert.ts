import type { ChatType, DeliveredMedia, DeliveredMessage, SendMessage } from "@im/protocol";
import { contentHashOf, type MessageDoc, messageDocId, type StoredMedia } from "./message-model.js";

/**
 * Where clients fetch an upload: the upload app's URLs under MEDIA_PUBLIC_URL (the apps build it from
 * @im/media's mediaUrl / mediaThumbUrl; this library does not depend on @im/media, which depends on it).
 */
export interface MediaLinks {
  /** The original's URL. */
  url(uploadId: string): string;
  /** The thumbnail's (image) or poster's (video) URL. */
  thumbUrl(uploadId: string): string;
}

/** Links relative to the upload app's root, for a store created without MEDIA_PUBLIC_URL (tests of the store alone). */
export const relativeMediaLinks: MediaLinks = {
  url: (uploadId) => `/v1/media/${uploadId}`,
  thumbUrl: (uploadId) => `/v1/media/${uploadId}/thumb`,
};

/** A stored media record as served: the recorded fields plus the URLs, built now (the base URL may change). */
export function deliveredMedia(media: StoredMedia, links: MediaLinks): DeliveredMedia {
  return {
    uploadId: media.uploadId,
    kind: media.kind,
    contentType: media.contentType,
    size: media.size,
    ...(typeof media.width === "number" ? { width: media.width } : {}),
    ...(typeof media.height === "number" ? { height: media.height } : {}),
    ...(typeof media.duration === "number" ? { duration: media.duration } : {}),
    ...(media.name ? { name: media.name } : {}),
    url: links.url(media.uploadId),
    ...(media.thumb ? { thumbUrl: links.thumbUrl(media.uploadId) } : {}),
  };
}

/**
 * The wire form of a stored message: optional fields only when set. A media message carries `media` with
 * URLs from `links`, except once recalled (its media are no longer served to anyone but the sender).
 */
export function toDelivered(doc: MessageDoc, links: MediaLinks): DeliveredMessage {
  return {
    conversationId: doc.conversationId,
    seq: doc.seq,
    messageId: doc.messageId,
    chatType: doc.chatType as ChatType,
    fromUserId: doc.fromUserId,
    fromResource: doc.fromResource,
    ...(doc.fromUserName ? { fromUserName: doc.fromUserName } : {}),
    to: doc.to,
    ...(doc.toUserName ? { toUserName: doc.toUserName } : {}),
    type: doc.type,
    content: doc.recalled ? "" : doc.content,
    isEncrypt: doc.isEncrypt,
    isReadDel: doc.isReadDel,
    ...(doc.fileSize !== undefined && doc.fileSize !== null ? { fileSize: doc.fileSize } : {}),
    ...(doc.fileTime !== undefined && doc.fileTime !== null ? { fileTime: doc.fileTime } : {}),
    ...(doc.location ? { location: { x: doc.location.x, y: doc.location.y } } : {}),
    ...(doc.objectId ? { objectId: doc.objectId } : {}),
    timeSend: doc.timeSend,
    serverTime: doc.serverTime,
    ...(doc.recalled ? { recalled: true } : {}),
    ...(doc.atUserIds?.length ? { atUserIds: [...doc.atUserIds] } : {}),
    ...(doc.atAll ? { atAll: true } : {}),
    ...(doc.media && !doc.recalled ? { media: deliveredMedia(doc.media, links) } : {}),
  };
}

/** What the store takes: a validated client message plus, for a media message, the upload it carries (checked by the caller). */
export type StorableMessage = SendMessage & { media?: StoredMedia };

/** Where a new message document goes and what the server adds to what the client sent. */
export interface Placement {
  ownerId: number;
  conversationId: string;
  seq: number;
  chatType: ChatType;
  /** The recipient userId or the roomId, as a string. */
  to: string;
  now: number;
}

/** The stored document of a validated client message: optional fields only when the client set them. */
export function buildMessageDoc(message: StorableMessage, sender: { userId: number; resource: string }, at: Placement): MessageDoc {
  return {
    _id: messageDocId(at.ownerId, at.conversationId, message.messageId),
    ownerId: at.ownerId,
    conversationId: at.conversationId,
    seq: at.seq,
    messageId: message.messageId,
    chatType: at.chatType,
    fromUserId: sender.userId,
    fromResource: sender.resource,
    ...(message.fromUserName ? { fromUserName: message.fromUserName } : {}),
    to: at.to,
    ...(message.toUserName ? { toUserName: message.toUserName } : {}),
    type: message.type,
    content: message.content,
    contentHash: contentHashOf(message.content),
    isEncrypt: message.isEncrypt,
    isReadDel: message.isReadDel,
    ...(message.fileSize !== undefined ? { fileSize: message.fileSize } : {}),
    ...(message.fileTime !== undefined ? { fileTime: message.fileTime } : {}),
    ...(message.location ? { location: message.location } : {}),
    ...(message.objectId ? { objectId: message.objectId } : {}),
    ...(message.atUserIds?.length ? { atUserIds: [...new Set(message.atUserIds)] } : {}),
    ...(message.atAll ? { atAll: true } : {}),
    timeSend: message.timeSend ?? at.now,
    serverTime: at.now,
    recalled: false,
    ...(message.media ? { media: message.media } : {}),
  };
}
