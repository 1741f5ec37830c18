import type { StorableMessage, StoredResult } from "@im/messaging";

/**
 * Where a message goes, resolved and authorised for its sender: the conversation, who receives it, and how
 * it is stored. Single chats and rooms each provide one (targets/single.ts, targets/group.ts).
 */
export interface Target {
  chatType: number;
  conversationId: string;
  /** The recipient userId or the roomId as stored (normalised: "007" is stored as "7"). */
  to: string;
  /** Users whose devices get the message (the sender's other devices always get a copy too). */
  recipients: number[];
  /** A room target's members and the sender's role in it (the @mention rules: handlers/mentions.ts). */
  room?: { members: ReadonlyMap<number, unknown>; senderRole: number };
  /** Stores the message durably (idempotent by messageId). */
  store(message: StorableMessage): Promise<StoredResult>;
}
