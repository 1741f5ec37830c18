import type { DeliveredMessage, SyncCursors } from "@im/protocol";

/**
 * A device's sync position per conversation (docs/messaging.md, Guarantees 5): the seq up to which it has
 * everything. Seqs of messages it knows of past a gap (its own receipts) wait in `ahead` until the gap
 * before them is filled, so a message still in flight to this device is never skipped by the next sync.
 */
export class Cursors {
  private readonly positions: Map<string, number>;
  private readonly ahead = new Map<string, Set<number>>();

  constructor(saved: SyncCursors = {}) {
    this.positions = new Map(Object.entries(saved));
  }

  /** The conversation's cursor (0 for one never seen). */
  get(conversationId: string): number {
    return this.positions.get(conversationId) ?? 0;
  }

  /** Every cursor, to save and pass back as the `cursors` option (and to send with `sync`). */
  toObject(): SyncCursors {
    return Object.fromEntries(this.positions);
  }

  /**
   * Moves a conversation's cursor to `seq`. Synced and in-order messages (and a sync's `nextCursor`) move
   * it at once (`contiguous` false: everything before them is known); a seq that must directly follow the
   * cursor (`contiguous` true, e.g. a receipt) waits in `ahead` while a gap is open before it.
   */
  advance(conversationId: string, seq: number, contiguous: boolean): void {
    const current = this.get(conversationId);
    if (seq <= current) return;
    let ahead = this.ahead.get(conversationId);
    if (contiguous && seq > current + 1) {
      if (!ahead) {
        ahead = new Set();
        this.ahead.set(conversationId, ahead);
      }
      ahead.add(seq);
      return;
    }
    let next = seq;
    while (ahead?.has(next + 1)) next += 1;
    if (ahead) {
      for (const pending of ahead) if (pending <= next) ahead.delete(pending);
      if (ahead.size === 0) this.ahead.delete(conversationId);
    }
    this.positions.set(conversationId, next);
  }
}

/** Live messages that arrived past a gap, by conversation and seq, until the gap closes (live or by sync). */
export class HeldMessages {
  private readonly byConversation = new Map<string, Map<number, DeliveredMessage>>();

  get isEmpty(): boolean {
    return this.byConversation.size === 0;
  }

  add(message: DeliveredMessage): void {
    let messages = this.byConversation.get(message.conversationId);
    if (!messages) {
      messages = new Map();
      this.byConversation.set(message.conversationId, messages);
    }
    messages.set(message.seq, message);
  }

  /** Conversations with held messages. */
  conversations(): string[] {
    return [...this.byConversation.keys()];
  }

  /** Removes and returns the held messages at or below `cursor` (a sync covered them). */
  takeCovered(conversationId: string, cursor: number): DeliveredMessage[] {
    const messages = this.byConversation.get(conversationId);
    if (!messages) return [];
    const covered = [...messages.values()].filter((m) => m.seq <= cursor).sort((a, b) => a.seq - b.seq);
    for (const message of covered) messages.delete(message.seq);
    this.dropIfEmpty(conversationId);
    return covered;
  }

  /** Removes and returns the held message at `seq`, if any. */
  take(conversationId: string, seq: number): DeliveredMessage | undefined {
    const message = this.byConversation.get(conversationId)?.get(seq);
    if (message) {
      this.byConversation.get(conversationId)?.delete(seq);
      this.dropIfEmpty(conversationId);
    }
    return message;
  }

  private dropIfEmpty(conversationId: string): void {
    if (this.byConversation.get(conversationId)?.size === 0) this.byConversation.delete(conversationId);
  }
}
