import { randomUUID } from "node:crypto";
import { chatTypes, type DeliveredMessage } from "@im/protocol";
import { type Broadcaster, deliverMessage } from "./delivery.js";
import type { MessageStore } from "./store-context.js";
import { storeGroup } from "./store-group.js";
import { SYSTEM_NOTIFIER_ID } from "./system-account.js";

/** Room notice types (seed section 七): what happened in the room (9xx), and to its shared files (40x). */
export const roomEventTypes = {
  nickname: 901,
  rename: 902,
  delete: 903,
  memberRemove: 904,
  notice: 905,
  mute: 906,
  memberAdd: 907,
  admin: 913,
  showRead: 915,
  /** Group shared files (shiku_room_share): a file shared, deleted, downloaded. */
  fileUpload: 401,
  fileDelete: 402,
  fileDownload: 403,
} as const;
export type RoomEventType = (typeof roomEventTypes)[keyof typeof roomEventTypes];

/** What a room notice says; its content is this object as JSON. */
export interface RoomEventContent {
  /** The users it is about (joined, removed, muted, promoted, ...). */
  userIds?: number[];
  /** Who did it (0 when the platform did). */
  operator: number;
  [detail: string]: unknown;
}

/**
 * Stores a room notice from the system account (10005) in the room's conversation (so members also get it by
 * sync) and delivers it live to `recipients` (the members it concerns, on whichever gateway they are).
 * `options.messageId` makes it idempotent (a retry stores nothing new and delivers the stored notice again);
 * a random UUID when absent.
 */
export async function sendRoomEvent(
  store: MessageStore,
  io: Broadcaster,
  roomId: string,
  type: RoomEventType,
  content: RoomEventContent,
  recipients: number[],
  options: { messageId?: string } = {},
): Promise<DeliveredMessage> {
  const stored = await storeGroup(
    store,
    { userId: SYSTEM_NOTIFIER_ID, resource: "Server" },
    {
      messageId: options.messageId ?? randomUUID(),
      chatType: chatTypes.group,
      to: roomId,
      type,
      content: JSON.stringify({ roomId, ...content }),
      isEncrypt: false,
      isReadDel: false,
    },
    roomId,
  );
  deliverMessage(io, stored.message, recipients);
  store.push?.notify(stored.message, recipients);
  return stored.message;
}
