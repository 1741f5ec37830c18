import type { ChatType, DeliveredMessage, SendMessage } from "@im/protocol";
import { contentHashOf, type MessageDoc, messageDocId } from "./message-model.js";

/** The wire form of a stored message: optional fields only when set. */
export function toDelivered(doc: MessageDoc): DeliveredMessage {
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
  };
}

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
export function buildMessageDoc(message: SendMessage, sender: { userId: number; resource: string }, at: Placement): MessageDoc {
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
    timeSend: message.timeSend ?? at.now,
    serverTime: at.now,
    recalled: false,
  };
}
