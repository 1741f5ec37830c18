import type { Receipt, SendMessageInput } from "@im/protocol";

/** Seed section 八: resend after this long without a receipt — text 15 s, large media 45 s. */
export function receiptTimeoutFor(type: number, timeouts: { text: number; media: number }): number {
  return [2, 3, 6, 7, 9].includes(type) ? timeouts.media : timeouts.text;
}

export interface PendingMessage {
  message: SendMessageInput & { messageId: string };
  attempts: number;
  resolve(receipt: Receipt): void;
  reject(error: Error): void;
}

/** Messages sent but not yet acknowledged, by messageId, in the order they were sent. */
export class PendingQueue {
  private readonly items = new Map<string, PendingMessage>();

  add(item: PendingMessage): void {
    this.items.set(item.message.messageId, item);
  }

  get(messageId: string): PendingMessage | undefined {
    return this.items.get(messageId);
  }

  settle(messageId: string): PendingMessage | undefined {
    const item = this.items.get(messageId);
    this.items.delete(messageId);
    return item;
  }

  all(): PendingMessage[] {
    return [...this.items.values()];
  }

  get size(): number {
    return this.items.size;
  }
}
