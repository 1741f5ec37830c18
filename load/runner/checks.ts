/** Exactly-once bookkeeping: which recipients each message must reach, and what actually reached them. */
export type MessageKind = "direct" | "group";

interface Tracked {
  kind: MessageKind;
  recipients: number[];
  acknowledged: boolean;
  failed: boolean;
  /** Deliveries per recipient userId. */
  deliveries: Map<number, number>;
}

export interface ExactlyOnceReport {
  acknowledged: number;
  /** Sum over acknowledged messages of their intended recipients. */
  expectedDeliveries: number;
  /** First deliveries of acknowledged messages to intended recipients. */
  delivered: number;
  /** (message, recipient) pairs of acknowledged messages never delivered. */
  missing: number;
  /** Extra deliveries beyond the first, of acknowledged messages to intended recipients. */
  duplicates: number;
  /** Deliveries to users that were not recipients, or of ids never sent. */
  unexpected: number;
  /** Deliveries of messages whose send failed (no receipt): allowed, reported. */
  deliveredUnacknowledged: number;
  /** A few examples, for the log. */
  missingSamples: Array<{ messageId: string; kind: MessageKind; userId: number }>;
  duplicateSamples: Array<{ messageId: string; kind: MessageKind; userId: number; times: number }>;
}

export class ExactlyOnceLedger {
  private readonly messages = new Map<string, Tracked>();
  private unknown = 0;

  /** Called before the send: deliveries may beat the receipt. */
  expect(messageId: string, kind: MessageKind, recipients: readonly number[]): void {
    this.messages.set(messageId, { kind, recipients: [...recipients], acknowledged: false, failed: false, deliveries: new Map() });
  }

  acknowledge(messageId: string): void {
    const message = this.messages.get(messageId);
    if (message) message.acknowledged = true;
  }

  fail(messageId: string): void {
    const message = this.messages.get(messageId);
    if (message) message.failed = true;
  }

  /** Records one delivery; returns whether it was the first to that recipient. */
  deliver(messageId: string, userId: number): "first" | "duplicate" | "unexpected" {
    const message = this.messages.get(messageId);
    if (!message?.recipients.includes(userId)) {
      this.unknown += 1;
      return "unexpected";
    }
    const times = (message.deliveries.get(userId) ?? 0) + 1;
    message.deliveries.set(userId, times);
    return times === 1 ? "first" : "duplicate";
  }

  /** Deliveries still awaited: of acknowledged messages and of sends not settled yet. */
  outstanding(): number {
    let count = 0;
    for (const message of this.messages.values()) {
      if (message.failed) continue;
      for (const userId of message.recipients) if (!message.deliveries.has(userId)) count += 1;
    }
    return count;
  }

  report(sampleLimit = 10): ExactlyOnceReport {
    const report: ExactlyOnceReport = {
      acknowledged: 0,
      expectedDeliveries: 0,
      delivered: 0,
      missing: 0,
      duplicates: 0,
      unexpected: this.unknown,
      deliveredUnacknowledged: 0,
      missingSamples: [],
      duplicateSamples: [],
    };
    for (const [messageId, message] of this.messages) {
      if (!message.acknowledged) {
        for (const times of message.deliveries.values()) report.deliveredUnacknowledged += times;
        continue;
      }
      report.acknowledged += 1;
      for (const userId of message.recipients) {
        report.expectedDeliveries += 1;
        const times = message.deliveries.get(userId) ?? 0;
        if (times === 0) {
          report.missing += 1;
          if (report.missingSamples.length < sampleLimit) report.missingSamples.push({ messageId, kind: message.kind, userId });
          continue;
        }
        report.delivered += 1;
        if (times > 1) {
          report.duplicates += times - 1;
          if (report.duplicateSamples.length < sampleLimit) report.duplicateSamples.push({ messageId, kind: message.kind, userId, times });
        }
      }
    }
    return report;
  }
}

/** The payload carried in each load message's content. */
export interface LoadPayload {
  /** performance.now() at send, in the sending process (the receiver is in the same process). */
  t: number;
  id: string;
}

export function encodePayload(payload: LoadPayload): string {
  return JSON.stringify(payload);
}

/** The payload of a load message's content, or undefined for anything else. */
export function decodePayload(content: string): LoadPayload | undefined {
  if (!content.startsWith("{")) return undefined;
  try {
    const value = JSON.parse(content) as Partial<LoadPayload>;
    return typeof value.t === "number" && typeof value.id === "string" ? { t: value.t, id: value.id } : undefined;
  } catch {
    return undefined;
  }
}
