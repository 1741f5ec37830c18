import type { ChatType, DeliveredMessage } from "@im/protocol";
import type { MessageDoc } from "./message-model.js";

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
