import { randomUUID } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { ImClient } from "@im/client";
import { chatTypes, messageType } from "@im/protocol";
import { decodePayload, ExactlyOnceLedger, type ExactlyOnceReport, encodePayload, type MessageKind } from "./checks.js";
import type { LoadOptions } from "./options.js";
import { fixedRate, sleep, waitFor } from "./scheduler.js";
import { createRoom, type LoadUser, registerUsers } from "./setup.js";
import { type LatencySummary, Recorder } from "./stats.js";

const series = ["connect", "directReceipt", "directDelivery", "groupReceipt", "groupDelivery", "schedulerLag"] as const;
type Series = (typeof series)[number];

interface KindCounts {
  sent: number;
  receipts: number;
  failures: number;
}

export interface LoadResult {
  options: LoadOptions;
  startedAt: string;
  finishedAt: string;
  api: string;
  gateways: string[];
  setup: { registerSeconds: number; roomSeconds: number; rampSeconds: number; connected: number; connectFailures: number };
  counts: { direct: KindCounts; group: KindCounts; duplicateReceipts: number; unsettled: number; deliveries: number };
  /** Achieved rates over the sending window, per second. */
  throughput: { sendsPerSecond: number; receiptsPerSecond: number; deliveriesPerSecond: number; sendSeconds: number };
  latencyMs: Record<Series, LatencySummary>;
  exactlyOnce: ExactlyOnceReport;
  failureSamples: string[];
  /** No acknowledged message lost or duplicated. */
  ok: boolean;
  out: string;
}

interface Member {
  user: LoadUser;
  client: ImClient;
}

const seconds = (fromMs: number) => Math.round(performance.now() - fromMs) / 1000;

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)] as T;

/** Runs one load test end to end and writes its JSON result to `options.out`. */
export async function runLoad(options: LoadOptions, log: (line: string) => void = console.log): Promise<LoadResult> {
  const startedAt = new Date();
  let api = options.api;
  let gateways = options.gateways;
  let stopWorld: (() => Promise<void>) | undefined;
  if (options.embedded) {
    log("starting the embedded stack (Redis, FerretDB, API, one gateway process)...");
    const { startRealtime } = await import("../../tests/support/realtime.js");
    const world = await startRealtime(1, { API_SMS_REQUIRED: "false" });
    stopWorld = () => world.stop();
    api = world.stack.api.url;
    gateways = world.gateways.map((g) => g.url);
  }
  const members: Member[] = [];
  try {
    const recorder = new Recorder<Series>(series);
    const ledger = new ExactlyOnceLedger();
    const counts: LoadResult["counts"] = {
      direct: { sent: 0, receipts: 0, failures: 0 },
      group: { sent: 0, receipts: 0, failures: 0 },
      duplicateReceipts: 0,
      unsettled: 0,
      deliveries: 0,
    };
    const failureSamples: string[] = [];

    let phase = performance.now();
    log(`registering ${options.users} users at ${api}...`);
    const users = await registerUsers(api, options.users);
    const registerSeconds = seconds(phase);

    phase = performance.now();
    const groupUsers = options.groupRate > 0 ? users.slice(0, options.groupSize) : [];
    const [owner, ...others] = groupUsers;
    const roomId = owner ? await createRoom(api, owner, others) : undefined;
    const roomSeconds = seconds(phase);

    log(`connecting ${users.length} clients over ${options.rampSeconds} s to ${gateways.join(", ")}...`);
    phase = performance.now();
    let connectFailures = 0;
    const step = users.length > 1 ? (options.rampSeconds * 1000) / users.length : 0;
    const connecting: Promise<void>[] = [];
    for (const [i, user] of users.entries()) {
      const wait = phase + i * step - performance.now();
      if (wait > 0) await sleep(wait);
      const client = new ImClient({ url: gateways[i % gateways.length] as string, token: user.token, resource: "web" });
      client.on("message", (message) => {
        if (message.fromUserId === user.userId) return;
        const payload = decodePayload(message.content);
        if (!payload) return;
        const now = performance.now();
        counts.deliveries += 1;
        if (ledger.deliver(payload.id, user.userId) === "first") {
          recorder.add(message.chatType === chatTypes.group ? "groupDelivery" : "directDelivery", now - payload.t);
        }
      });
      const started = performance.now();
      connecting.push(
        withTimeout(client.connect(), 30_000, `connecting user ${user.userId}`).then(
          () => {
            recorder.add("connect", performance.now() - started);
            members.push({ user, client });
          },
          (error: unknown) => {
            connectFailures += 1;
            client.close();
            if (failureSamples.length < 10) failureSamples.push(String(error));
          },
        ),
      );
    }
    await Promise.all(connecting);
    const rampSeconds = seconds(phase);
    if (members.length < 2) throw new Error(`only ${members.length} of ${users.length} clients connected`);
    const groupMembers = members.filter((m) => groupUsers.includes(m.user));

    let inFlight = 0;
    const send = (kind: MessageKind, from: Member, to: string, recipients: number[]) => {
      const messageId = randomUUID();
      ledger.expect(messageId, kind, recipients);
      counts[kind].sent += 1;
      inFlight += 1;
      const t = performance.now();
      from.client
        .send({
          messageId,
          chatType: kind === "group" ? chatTypes.group : chatTypes.single,
          to,
          type: messageType.text,
          content: encodePayload({ t, id: messageId }),
        })
        .then(
          (receipt) => {
            recorder.add(kind === "group" ? "groupReceipt" : "directReceipt", performance.now() - t);
            counts[kind].receipts += 1;
            if (receipt.duplicate) counts.duplicateReceipts += 1;
            ledger.acknowledge(messageId);
          },
          (error: unknown) => {
            counts[kind].failures += 1;
            ledger.fail(messageId);
            if (failureSamples.length < 10) failureSamples.push(`${kind} ${messageId}: ${String(error)}`);
          },
        )
        .finally(() => {
          inFlight -= 1;
        });
    };
    const direct = () => {
      const from = pick(members);
      let to = pick(members);
      while (to === from) to = pick(members);
      send("direct", from, String(to.user.userId), [to.user.userId]);
    };
    const group = () => {
      if (!roomId || groupMembers.length < 2) return;
      const from = pick(groupMembers);
      send(
        "group",
        from,
        roomId,
        groupMembers.filter((m) => m !== from).map((m) => m.user.userId),
      );
    };

    log(
      `sending ${options.rate}/s 1:1 and ${options.groupRate}/s to a ${groupMembers.length}-member room for ${options.durationSeconds} s...`,
    );
    phase = performance.now();
    const durationMs = options.durationSeconds * 1000;
    const schedules = await Promise.all([fixedRate(options.rate, durationMs, direct), fixedRate(options.groupRate, durationMs, group)]);
    for (const schedule of schedules) for (const lag of schedule.lagMs) recorder.add("schedulerLag", lag);
    const sendSeconds = seconds(phase);

    log(`draining (up to ${options.drainSeconds} s)...`);
    await waitFor(() => inFlight === 0 && ledger.outstanding() === 0, options.drainSeconds * 1000);
    await sleep(Math.min(1000, options.drainSeconds * 1000)); // late duplicates would show up here
    counts.unsettled = inFlight;
    const windowSeconds = seconds(phase);

    const exactlyOnce = ledger.report();
    const sent = counts.direct.sent + counts.group.sent;
    const receipts = counts.direct.receipts + counts.group.receipts;
    const out = resolve(options.out);
    const result: LoadResult = {
      options,
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      api,
      gateways,
      setup: { registerSeconds, roomSeconds, rampSeconds, connected: members.length, connectFailures },
      counts,
      throughput: {
        sendSeconds,
        sendsPerSecond: Math.round((sent / sendSeconds) * 100) / 100,
        receiptsPerSecond: Math.round((receipts / windowSeconds) * 100) / 100,
        deliveriesPerSecond: Math.round((exactlyOnce.delivered / windowSeconds) * 100) / 100,
      },
      latencyMs: recorder.summary(),
      exactlyOnce,
      failureSamples,
      ok: exactlyOnce.missing === 0 && exactlyOnce.duplicates === 0,
      out,
    };
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, `${JSON.stringify(result, null, 2)}\n`);
    // A copy: closing the clients below rejects the unsettled sends, which must not change the result.
    return structuredClone(result);
  } finally {
    for (const member of members) member.client.close();
    await stopWorld?.();
  }
}
