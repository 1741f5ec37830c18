/**
 * Benchmark (issue 12): offline push of one message to a --members (500) member room whose members are all
 * offline with one device each, beside the same provider stub driven directly by the provider client, and the
 * senders' receipt latency with push on vs off — all in one run.
 *
 *   node --conditions=development --import tsx load/bench/push.ts [--quick] [--members 500] [--rounds 5]
 *        [--provider apns|fcm|huawei|xiaomi] [--senders 8] [--messages 10] [--gap-ms 100] [--stub-delay-ms 0]
 *
 * Servers: Redis, FerretDB and the API in this process (tests/support/stack.ts); two gateway processes on that
 * stack, one with PUSH_ENABLED=true and one with PUSH_ENABLED=false; ONE push app process (one worker,
 * PUSH_CONCURRENCY 64: the per-worker figure); the local provider servers (libs/testing push-providers: TLS,
 * verifying signatures and payloads) in this process.
 *
 * (1) Push path: the room owner (the only member online) sends a text to the room through the push-on
 *     gateway; measured from the message's serverTime (the receipt: stored) to the first and to the last
 *     provider request the stub received for it (members − 1 notifications), and notifications per second
 *     of the push worker over that span. Every device must get exactly one request.
 * (2) Baseline: the provider client (`createProviders`, the same settings and stub) sends the same number of
 *     notifications to the same devices directly, 64 in flight: what the worker's sends cost without the queue,
 *     the planner (presence, silences, devices, badge, texts) and the push log.
 * (3) Sender receipt latency: --senders members connect to the push-off gateway and as many to the push-on one,
 *     from two sender processes of their own (lib/latency-senders.ts: not through this process's event loop,
 *     which runs the stub and the API); per round each sender sends --messages texts to the room one after the other (--gap-ms apart), under three
 *     conditions in rotating order: push off; push on with the push app stopped (SIGSTOP: the message path only
 *     queues the event); push on with the push app sending meanwhile; the same at nice 19 (the push app yields
 *     the cores: what CPU of its own does). Goal: on within ±10 % of off.
 * `--only path` runs (1) and (2), `--only latency` runs (3).
 */
import { fork } from "node:child_process";
import { setPriority } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ImClient } from "@im/client";
import type { PushProviderName } from "@im/data";
import { chatTypes, messageType } from "@im/protocol";
import type { PushNotification, PushProvider } from "@im/push";
import { createProviders, pushProviderSettings } from "@im/push-app";
import { freePort, type ManagedProcess, spawnServer } from "@im/testing";
import { z } from "zod";
import { drained, startProviderFakes } from "../../tests/support/push.js";
import { startStack, type TestStack } from "../../tests/support/stack.js";
import { createRoom, mapLimit, registerUsers } from "../runner/setup.js";
import type { SenderReply, SenderRequest } from "./lib/latency-senders.js";
import { log, machine, ratio, round, sleep, summarize, table, writeResult } from "./lib/report.js";
import { cpuSeconds } from "./lib/servers.js";

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    members: { type: "string" },
    rounds: { type: "string" },
    provider: { type: "string", default: "apns" },
    senders: { type: "string" },
    messages: { type: "string" },
    "gap-ms": { type: "string", default: "100" },
    "stub-delay-ms": { type: "string", default: "0" },
    "latency-rounds": { type: "string" },
    only: { type: "string" },
  },
});
const quick = values.quick ?? false;
const members = Number(values.members ?? (quick ? 100 : 500));
const rounds = Number(values.rounds ?? (quick ? 3 : 5));
const provider = z.enum(["apns", "fcm", "huawei", "xiaomi"]).parse(values.provider) satisfies PushProviderName;
const senders = Number(values.senders ?? (quick ? 4 : 8));
const messages = Number(values.messages ?? (quick ? 5 : 10));
const gapMs = Number(values["gap-ms"]);
const stubDelayMs = Number(values["stub-delay-ms"]);
const latencyRounds = Number(values["latency-rounds"] ?? (quick ? 2 : 3));
const only = values.only === undefined ? undefined : z.enum(["path", "latency"]).parse(values.only);
const root = new URL("../..", import.meta.url).pathname;
const CONCURRENCY = 64;

/** Wall-clock epoch ms with sub-millisecond resolution (the stub records Date.now; serverTime is Date.now too). */
const epochMs = () => performance.timeOrigin + performance.now();

async function spawnApp(name: string, script: string, port: number, env: Record<string, string>): Promise<ManagedProcess> {
  return spawnServer({
    name,
    command: process.execPath,
    args: ["--conditions=development", "--import", "tsx", join(root, script)],
    cwd: root,
    readyPort: port,
    readyTimeoutMs: 60_000,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", LOG_LEVEL: "warn", ...env },
  });
}

async function startGateway(stack: TestStack, index: number, pushEnabled: boolean): Promise<{ url: string; process: ManagedProcess }> {
  const port = await freePort();
  const gateway = await spawnApp(`gateway-push-${pushEnabled ? "on" : "off"}`, "apps/gateway/src/main.ts", port, {
    GATEWAY_HOST: "127.0.0.1",
    GATEWAY_PORT: String(port),
    GATEWAY_ID: `bench-push-gw${index}`,
    MONGO_URL: stack.config.MONGO_URL,
    REDIS_URL: stack.config.REDIS_URL,
    MESSAGE_SHARDS: String(stack.config.MESSAGE_SHARDS),
    PUSH_ENABLED: String(pushEnabled),
  });
  return { url: `http://127.0.0.1:${port}`, process: gateway };
}

/** A device token of the provider's shape for member `i`. */
function deviceToken(i: number): string {
  const hex = `${process.pid.toString(16)}${i.toString(16).padStart(8, "0")}`;
  return provider === "apns" ? hex.padStart(64, "b") : `${provider}-bench-${hex}`;
}

async function main() {
  log(`machine ${JSON.stringify(machine())}`);
  const fakes = await startProviderFakes({ delayMs: stubDelayMs });
  const stub = fakes[provider];
  /** Provider requests the stub received, with the token and the real time (epoch ms). */
  const received = (): { token: string; at: number }[] =>
    provider === "apns"
      ? fakes.apns.requests.map((r) => ({ token: r.deviceToken, at: r.wallTime }))
      : provider === "fcm"
        ? fakes.fcm.requests.map((r) => ({ token: r.deviceToken, at: r.wallTime }))
        : provider === "huawei"
          ? fakes.huawei.requests.map((r) => ({ token: r.tokens[0] ?? "", at: r.wallTime }))
          : fakes.xiaomi.requests.map((r) => ({ token: r.regIds[0] ?? "", at: r.wallTime }));
  const stack = await startStack({ MESSAGE_SHARDS: "4", API_SMS_REQUIRED: "false", PUSH_ENABLED: "true" });
  const redis = stack.api.deps.redis;
  const processes: ManagedProcess[] = [];
  const clients: ImClient[] = [];
  const senderProcesses: SenderProcess[] = [];
  let direct: PushProvider | undefined;
  try {
    const [on, off] = [await startGateway(stack, 1, true), await startGateway(stack, 2, false)];
    processes.push(on.process, off.process);
    const pushPort = await freePort();
    const push = await spawnApp("push", "apps/push/src/main.ts", pushPort, {
      PUSH_HOST: "127.0.0.1",
      PUSH_PORT: String(pushPort),
      PUSH_CONSUMER: "bench-push-1",
      PUSH_CONCURRENCY: String(CONCURRENCY),
      PUSH_ENABLED: "true",
      MONGO_URL: stack.config.MONGO_URL,
      REDIS_URL: stack.config.REDIS_URL,
      MESSAGE_SHARDS: String(stack.config.MESSAGE_SHARDS),
      ...fakes.env,
    });
    processes.push(push);

    log(`registering ${members} users, one ${provider} device each, and the room`);
    const users = await registerUsers(stack.api.url, members);
    const [owner, ...rest] = users;
    if (!owner) throw new Error("no users");
    await mapLimit(users, 16, async (user, i) => {
      const reply = await fetch(`${stack.api.url}/v1/push/devices`, {
        method: "POST",
        headers: { authorization: `Bearer ${user.token}`, "content-type": "application/json" },
        body: JSON.stringify({ provider, token: deviceToken(i), appId: "com.example.im", locale: "en" }),
      });
      if (reply.status !== 200 && reply.status !== 201) throw new Error(`device of ${user.userId}: ${reply.status} ${await reply.text()}`);
    });
    const roomId = await createRoom(stack.api.url, owner, rest);
    const expected = members - 1;
    const results: Record<string, unknown> = { machine: machine(), members, rounds, provider, stubDelayMs, concurrency: CONCURRENCY };

    // (1) the push path: one message to the room, everyone but the sender offline
    const pathRounds: { firstMs: number; lastMs: number; perSecond: number; cpu: number; duplicates: number; missing: number }[] = [];
    const directRounds: { lastMs: number; perSecond: number }[] = [];
    if (only !== "latency") {
      const sender = new ImClient({ url: on.url, token: owner.token, resource: "web" });
      clients.push(sender);
      await sender.connect();
      await drained(redis, 0, 60_000);
      for (let r = 0; r < rounds; r++) {
        const before = received().length;
        const cpuBefore = cpuSeconds(push.pid);
        const receipt = await sender.send({ chatType: chatTypes.group, to: roomId, type: messageType.text, content: `push bench ${r}` });
        const deadline = Date.now() + 120_000;
        while (received().length - before < expected && Date.now() < deadline) await sleep(2);
        await drained(redis, 0, 60_000);
        const got = received().slice(before);
        const tokens = new Set(got.map((g) => g.token));
        const first = Math.min(...got.map((g) => g.at));
        const last = Math.max(...got.map((g) => g.at));
        const row = {
          firstMs: first - receipt.serverTime,
          lastMs: last - receipt.serverTime,
          perSecond: got.length / ((last - receipt.serverTime) / 1000),
          cpu: cpuSeconds(push.pid) - cpuBefore,
          duplicates: got.length - tokens.size,
          missing: expected - tokens.size,
        };
        pathRounds.push(row);
        log(`push path round ${r + 1}: first ${round(row.firstMs, 0)} ms, last ${round(row.lastMs, 0)} ms, ${round(row.perSecond, 0)}/s`);
        await sleep(500);
      }

      // (2) the same stub driven directly by the provider client
      direct = createProviders(z.object(pushProviderSettings).parse(fakes.env), {
        logger: { warn: () => {}, info: () => {}, debug: () => {} },
      }).find((p) => p.serves.includes(provider));
      if (!direct) throw new Error(`no ${provider} client`);
      const client = direct;
      for (let r = 0; r < rounds; r++) {
        const now = Date.now();
        const notification: PushNotification = {
          kind: "alert",
          title: "load-0",
          body: `push bench ${r}`,
          badge: r + 1,
          collapseId: `g:${roomId}`,
          data: {
            conversationId: roomId,
            messageId: `direct-${r}`,
            chatType: "2",
            type: "1",
            fromUserId: String(owner.userId),
            seq: "1",
            kind: "alert",
          },
          expiresAt: now + 86_400_000,
          priority: "high",
        };
        const started = epochMs();
        await mapLimit(
          Array.from({ length: expected }, (_, i) => i + 1),
          CONCURRENCY,
          async (i) => {
            const outcome = await client.send(
              { provider, token: deviceToken(i), appId: "com.example.im", environment: "production" },
              notification,
            );
            if (outcome.status !== "sent") throw new Error(`direct send: ${JSON.stringify(outcome)}`);
          },
        );
        const lastMs = epochMs() - started;
        directRounds.push({ lastMs, perSecond: expected / (lastMs / 1000) });
        log(`direct round ${r + 1}: ${round(lastMs, 0)} ms, ${round(expected / (lastMs / 1000), 0)}/s`);
      }
      const med = (xs: number[]) => summarize(xs).p50;
      const pathTable = table(
        ["what (median of rounds)", "receipt → first request ms", "→ last request ms", "notifications/s", "push app CPU s"],
        [
          [
            `push app: 1 message → ${expected} offline devices`,
            round(med(pathRounds.map((x) => x.firstMs)), 0),
            round(med(pathRounds.map((x) => x.lastMs)), 0),
            round(med(pathRounds.map((x) => x.perSecond)), 0),
            round(med(pathRounds.map((x) => x.cpu)), 2),
          ],
          [
            `baseline: provider client → same stub, ${CONCURRENCY} in flight`,
            "-",
            round(med(directRounds.map((x) => x.lastMs)), 0),
            round(med(directRounds.map((x) => x.perSecond)), 0),
            "-",
          ],
        ],
      );
      console.log(pathTable);
      console.log(
        `push path / direct throughput: ${ratio(med(pathRounds.map((x) => x.perSecond)), med(directRounds.map((x) => x.perSecond)))}; duplicates ${pathRounds.reduce((s, x) => s + x.duplicates, 0)}, missing ${pathRounds.reduce((s, x) => s + x.missing, 0)}`,
      );
      results.path = pathRounds;
      results.direct = directRounds;
    }

    // (3) the senders' receipt latency, push off / on (queued only) / on (push app sending)
    if (only === "path") {
      console.log(`result: ${writeResult("push", results)}`);
      return;
    }
    const pick = rest.slice(0, 2 * senders);
    const offSenders = await startSenders(
      off.url,
      pick.slice(0, senders).map((u) => u.token),
    );
    const onSenders = await startSenders(
      on.url,
      pick.slice(senders).map((u) => u.token),
    );
    senderProcesses.push(offSenders, onSenders);
    const conditions = ["off", "on, push app stopped", "on, push app sending", "on, push app sending at nice 19"] as const;
    const latencies = new Map<string, number[]>(conditions.map((c) => [c, []]));
    for (let r = 0; r < latencyRounds; r++) {
      for (let k = 0; k < conditions.length; k++) {
        const condition = conditions[(k + r) % conditions.length] as (typeof conditions)[number];
        const group = condition === "off" ? offSenders : onSenders;
        if (condition === "on, push app stopped") process.kill(push.pid, "SIGSTOP");
        // Lowest CPU priority: the push app still sends everything, but yields the cores to the message path —
        // what giving the push Deployment CPU of its own does in a cluster (priority, not a separate machine).
        if (condition === "on, push app sending at nice 19") setPriority(push.pid, 19);
        const samples = [await group.run({ type: "run", roomId, messages, gapMs, tag: `${r}.${k}` })];
        latencies.get(condition)?.push(...samples.flat());
        if (condition === "on, push app stopped") process.kill(push.pid, "SIGCONT");
        if (condition === "on, push app sending at nice 19") setPriority(push.pid, 0);
        const s = summarize(samples.flat());
        log(`latency round ${r + 1} ${condition}: p50 ${round(s.p50, 1)} ms, p99 ${round(s.p99, 1)} ms`);
        await drained(redis, 0, 300_000);
      }
    }
    const offSummary = summarize(latencies.get("off") ?? []);
    const latencyTable = table(
      ["sender receipt latency", "sends", "p50 ms", "p95 ms", "p99 ms", "p50 vs off"],
      conditions.map((c) => {
        const s = summarize(latencies.get(c) ?? []);
        return [`push ${c}`, s.count, round(s.p50, 1), round(s.p95, 1), round(s.p99, 1), c === "off" ? "1" : ratio(s.p50, offSummary.p50)];
      }),
    );
    console.log(latencyTable);
    results.latency = Object.fromEntries(conditions.map((c) => [c, summarize(latencies.get(c) ?? [])]));
    results.pushAppCpuSeconds = cpuSeconds(push.pid);
    console.log(`stub accepted ${stub.accepted} requests`);
    console.log(`result: ${writeResult("push", results)}`);
  } finally {
    for (const c of clients) c.close();
    for (const p of senderProcesses) p.stop();
    await direct?.close();
    for (const p of processes.reverse()) await p.stop();
    await stack.stop();
    await fakes.stop();
  }
}

/** The room senders of (3) in a process of their own (lib/latency-senders.ts), connected to `url`. */
async function startSenders(url: string, tokens: string[]): Promise<SenderProcess> {
  const child = fork(join(root, "load/bench/lib/latency-senders.ts"), [], {
    execArgv: ["--conditions=development", "--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const next = () => new Promise<SenderReply>((resolve) => child.once("message", (reply: SenderReply) => resolve(reply)));
  await next(); // started
  child.send({ type: "connect", url, tokens } satisfies SenderRequest);
  await next();
  return {
    async run(request) {
      child.send(request satisfies SenderRequest);
      const reply = await next();
      return reply.type === "latencies" ? reply.ms : [];
    },
    stop() {
      child.send({ type: "exit" } satisfies SenderRequest);
    },
  };
}

interface SenderProcess {
  run(request: Extract<SenderRequest, { type: "run" }>): Promise<number[]>;
  stop(): void;
}

await main();
