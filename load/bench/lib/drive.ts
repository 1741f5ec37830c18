// In-process clients for the rate benchmarks: the SDK (ImClient) on the platform, raw socket.io-client on
// the relay, behind one interface so both are driven by the same fixed-rate steps.
import { randomUUID } from "node:crypto";
import { ImClient } from "@im/client";
import { chatTypes, messageType } from "@im/protocol";
import { io, type Socket } from "socket.io-client";
import { decodePayload, ExactlyOnceLedger, encodePayload, type MessageKind } from "../../runner/checks.js";
import { fixedRate, sleep, waitFor } from "../../runner/scheduler.js";
import { type LatencySummary, summarize } from "../../runner/stats.js";

export interface Member {
  userId: number;
  send(kind: MessageKind, to: string, messageId: string, content: string): Promise<void>;
  onMessage(handler: (content: string) => void): void;
  close(): void;
}

/** Epoch milliseconds with sub-millisecond resolution (one clock for every process on the machine). */
export const epochMs = () => performance.timeOrigin + performance.now();

export async function sdkMember(url: string, userId: number, token: string): Promise<Member> {
  const client = new ImClient({ url, token, resource: "web" });
  await client.connect();
  return {
    userId,
    async send(kind, to, messageId, content) {
      await client.send({
        messageId,
        chatType: kind === "group" ? chatTypes.group : chatTypes.single,
        to,
        type: messageType.text,
        content,
      });
    },
    onMessage(handler) {
      client.on("message", (m) => handler(m.content));
    },
    close: () => client.close(),
  };
}

export async function relayMember(url: string, userId: number, rooms: string[] = []): Promise<Member> {
  const socket: Socket = io(url, {
    transports: ["websocket"],
    forceNew: true,
    query: { userId: String(userId), ...(rooms.length ? { rooms: rooms.join(",") } : {}) },
  });
  await new Promise<void>((resolve, reject) => {
    socket.once("session:ready", () => resolve());
    socket.once("connect_error", reject);
  });
  return {
    userId,
    async send(kind, to, messageId, content) {
      const result = (await socket
        .timeout(15_000)
        .emitWithAck("message:send", { messageId, chatType: kind === "group" ? 2 : 1, to, type: 1, content, timeSend: Date.now() })) as {
        ok: boolean;
      };
      if (!result.ok) throw new Error(`refused: ${JSON.stringify(result)}`);
    },
    onMessage(handler) {
      socket.on("message", (m: { content: string }) => handler(m.content));
    },
    close: () => socket.disconnect(),
  };
}

/** Opens members with at most `limit` handshakes in flight. */
export async function openAll<T>(count: number, limit: number, open: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, count) }, async () => {
      while (next < count) {
        const i = next++;
        out[i] = await open(i);
      }
    }),
  );
  return out;
}

export interface StepResult {
  rate: number;
  seconds: number;
  sent: number;
  receipts: number;
  failures: number;
  unsettled: number;
  receipt: LatencySummary;
  delivery: LatencySummary;
  expectedDeliveries: number;
  delivered: number;
  missing: number;
  duplicates: number;
  /** First deliveries per second over the sending window plus the drain. */
  deliveriesPerSecond: number;
  schedulerLagP99: number;
  /** Event-loop utilisation of this (client) process over the step: near 1 means the client is the limit. */
  clientElu: number;
}

/**
 * Who member `i` of `n` sends 1:1 messages to: with `contacts` > 0, one of its `contacts` fixed neighbours
 * (i+1 … i+contacts, wrapping), so the traffic runs in a fixed set of n × contacts conversations; with 0, any
 * other member (almost every message opens a new conversation while few have been used).
 */
export function peerIndex(i: number, n: number, contacts: number, random = Math.random): number {
  if (contacts > 0) return (i + 1 + Math.floor(random() * Math.min(contacts, n - 1))) % n;
  const other = Math.floor(random() * (n - 1));
  return other >= i ? other + 1 : other;
}

/** Sends one message in every conversation `peerIndex` can pick (so a later step only continues them). */
export async function openConversations(members: Member[], contacts: number): Promise<void> {
  for (let i = 0; i < members.length; i++) {
    const from = members[i] as Member;
    const sends: Array<Promise<void>> = [];
    for (let k = 1; k <= Math.min(contacts, members.length - 1); k++) {
      const to = members[(i + k) % members.length] as Member;
      const messageId = randomUUID();
      sends.push(from.send("direct", String(to.userId), messageId, encodePayload({ t: epochMs(), id: messageId })));
    }
    await Promise.all(sends);
  }
}

/**
 * A fixed-rate step: `rate` sends per second for `seconds`, open loop; each send goes from a random member
 * (1:1: to a peer by `peerIndex`; group: to `roomId`, received by every other member), then waits up to
 * `drainSeconds` for receipts and deliveries.
 */
export async function runStep(
  members: Member[],
  kind: MessageKind,
  rate: number,
  seconds: number,
  drainSeconds: number,
  roomId?: string,
  contacts = 0,
): Promise<StepResult> {
  const ledger = new ExactlyOnceLedger();
  const receiptMs: number[] = [];
  const deliveryMs: number[] = [];
  let failures = 0;
  let inFlight = 0;
  let sent = 0;
  const handlers = members.map((member) => (content: string) => {
    const payload = decodePayload(content);
    if (!payload) return;
    const now = epochMs();
    if (ledger.deliver(payload.id, member.userId) === "first") deliveryMs.push(now - payload.t);
  });
  active = handlers;
  const tick = () => {
    const fromIndex = Math.floor(Math.random() * members.length);
    const from = members[fromIndex] as Member;
    let to = "";
    let recipients: number[];
    if (kind === "group") {
      to = roomId ?? "";
      recipients = members.filter((m) => m !== from).map((m) => m.userId);
    } else {
      const peer = members[peerIndex(fromIndex, members.length, contacts)] as Member;
      to = String(peer.userId);
      recipients = [peer.userId];
    }
    const messageId = randomUUID();
    ledger.expect(messageId, kind, recipients);
    sent += 1;
    inFlight += 1;
    const t = epochMs();
    from.send(kind, to, messageId, encodePayload({ t, id: messageId })).then(
      () => {
        receiptMs.push(epochMs() - t);
        ledger.acknowledge(messageId);
        inFlight -= 1;
      },
      () => {
        failures += 1;
        ledger.fail(messageId);
        inFlight -= 1;
      },
    );
  };
  const elu0 = performance.eventLoopUtilization();
  const started = performance.now();
  const schedule = await fixedRate(rate, seconds * 1000, tick);
  await waitFor(() => inFlight === 0 && ledger.outstanding() === 0, drainSeconds * 1000);
  await sleep(300);
  const window = (performance.now() - started) / 1000;
  const elu = performance.eventLoopUtilization(elu0);
  active = undefined;
  const report = ledger.report();
  return {
    rate,
    seconds,
    sent,
    receipts: receiptMs.length,
    failures,
    unsettled: inFlight,
    receipt: summarize(receiptMs),
    delivery: summarize(deliveryMs),
    expectedDeliveries: report.expectedDeliveries,
    delivered: report.delivered,
    missing: report.missing,
    duplicates: report.duplicates,
    deliveriesPerSecond: Math.round(report.delivered / window),
    schedulerLagP99: summarize(schedule.lagMs).p99,
    clientElu: Math.round(elu.utilization * 100) / 100,
  };
}

/** The handlers of the running step (members are wired once; each step swaps in its own ledger). */
let active: Array<(content: string) => void> | undefined;

export function wire(members: Member[]): void {
  members.forEach((member, i) => {
    member.onMessage((content) => active?.[i]?.(content));
  });
}
