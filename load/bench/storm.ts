/**
 * Benchmark (d): reconnect storm. --clients (5,000) clients are connected to one server process; the process
 * is killed (SIGKILL: every connection drops at once), messages are sent to the clients' users through a
 * second process while they are away, then the process is restarted on the same port. Measured: the time
 * until every client is back (platform: reconnected *and* synced — the SDK's `connected` event comes after
 * its sync — and every message sent while away received), and whether anything was lost or duplicated.
 * Beside the bare Socket.IO relay (two processes with the sharded Redis adapter, same client distribution
 * and reconnection settings) in the same run: time until all reconnected, and what reached them.
 *
 *   node --conditions=development --import tsx load/bench/storm.ts [--quick] [--clients 5000] [--users 100]
 *
 * Clients live in --workers client processes (lib/client-worker.ts): the platform's are SDK clients
 * (ImClient, reconnection 500 ms doubling to 5 s, ±50 %), the relay's raw socket.io-client with the same
 * reconnection settings. Users: --users users registered through the API with 10 device sessions each
 * (createSession, as login does); client i uses token i mod (users × 10), so each user has
 * clients/users devices online and every message to a user must reach all of them.
 */
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { startRedis } from "@im/testing";
import { encodePayload } from "../runner/checks.js";
import { epochMs, type Member, relayMember, sdkMember } from "./lib/drive.js";
import { ClientPool, type ClientSpec } from "./lib/pool.js";
import { log, machine, round, sleep, table, writeResult } from "./lib/report.js";
import { registerBenchUsers, type ServerProcess, startPlatform, startRelay, startRelayProcess } from "./lib/servers.js";

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    clients: { type: "string" },
    users: { type: "string" },
    workers: { type: "string" },
    "away-per-user": { type: "string", default: "2" },
    "timeout-seconds": { type: "string", default: "300" },
    "gateway-node-args": { type: "string", default: "" },
    only: { type: "string" },
  },
});
const quick = values.quick ?? false;
const clients = Number(values.clients ?? (quick ? 500 : 5000));
const userCount = Number(values.users ?? (quick ? 20 : 100));
const workers = Number(values.workers ?? (quick ? 2 : 4));
const awayPerUser = Number(values["away-per-user"]);
const timeoutMs = Number(values["timeout-seconds"]) * 1000;
const gatewayNodeArgs = (values["gateway-node-args"] ?? "").split(" ").filter(Boolean);

interface StormResult {
  name: string;
  clients: number;
  users: number;
  connectSeconds: number;
  liveBefore: { expected: number; received: number };
  downSeconds: number;
  awayMessages: number;
  /** Kill → the restarted process accepts connections. */
  restartSeconds: number;
  /** Restart → every client reconnected (platform: and synced). */
  allReadyAfterRestartSeconds: number | null;
  /** Restart → every message sent while away received by every device of its user. */
  allMessagesAfterRestartSeconds: number | null;
  /** Kill → all back and caught up (the larger of the two, from the drop). */
  totalFromDropSeconds: number | null;
  readyClients: number;
  expectedAwayDeliveries: number;
  awayDelivered: number;
  missing: number;
  duplicates: number;
  notes: string;
}

interface Side {
  name: string;
  specs: ClientSpec[];
  sdk: boolean;
  sender: Member;
  /** Kills the clients' server process; returns a function that restarts it. */
  kill(): Promise<() => Promise<void>>;
}

async function storm(side: Side, pool: ClientPool, users: number[]): Promise<StormResult> {
  let t = performance.now();
  const opened = await pool.open(side.specs, { sdk: side.sdk, reconnection: true, concurrency: 100, timeoutMs: 120_000 });
  const connectSeconds = round((performance.now() - t) / 1000);
  log(
    `${side.name}: ${opened.ok} of ${side.specs.length} clients connected in ${connectSeconds} s (${opened.failed} failed) ${opened.errors.slice(0, 2).join("; ")}`,
  );
  const devicesOf = new Map<number, number>();
  for (const s of side.specs) devicesOf.set(s.userId, (devicesOf.get(s.userId) ?? 0) + 1);

  // One live message per user first: delivery works before the drop.
  const before = (await pool.status()).deliveries;
  const sentIds = new Map<string, number>();
  await Promise.all(
    users.map((userId) => {
      const id = randomUUID();
      sentIds.set(id, userId);
      return side.sender.send("direct", String(userId), id, encodePayload({ t: epochMs(), id }));
    }),
  );
  const liveExpected = side.specs.length;
  const liveDeadline = performance.now() + 30_000;
  let live = 0;
  while (performance.now() < liveDeadline) {
    live = (await pool.status()).deliveries - before;
    if (live >= liveExpected) break;
    await sleep(250);
  }
  log(`${side.name}: live delivery before the drop: ${live} of ${liveExpected}`);

  const restart = await side.kill();
  const killedAt = epochMs();
  await pool.mark();
  t = performance.now();
  while ((await pool.status()).connected > 0 && performance.now() - t < 30_000) await sleep(100);
  const awayIds: string[] = [];
  const sends: Promise<void>[] = [];
  for (let round_ = 0; round_ < awayPerUser; round_++) {
    for (const userId of users) {
      const id = randomUUID();
      sentIds.set(id, userId);
      awayIds.push(id);
      sends.push(side.sender.send("direct", String(userId), id, encodePayload({ t: epochMs(), id })));
    }
  }
  const sendResults = await Promise.allSettled(sends);
  const failedSends = sendResults.filter((r) => r.status === "rejected").length;
  await restart();
  const upAt = epochMs();
  log(
    `${side.name}: ${awayIds.length} messages sent while away (${failedSends} failed); restarted after ${round((upAt - killedAt) / 1000)} s`,
  );

  const expectedAway = awayIds.reduce((s, id) => s + (devicesOf.get(sentIds.get(id) ?? 0) ?? 0), 0);
  const deadline = performance.now() + timeoutMs;
  let status = await pool.status();
  let lastLog = performance.now();
  while (performance.now() < deadline) {
    status = await pool.status();
    const allReady = status.readySinceMark >= opened.ok;
    const allMessages = !side.sdk || status.messagesSinceMark >= expectedAway;
    if (allReady && allMessages) break;
    if (performance.now() - lastLog > 5000) {
      log(
        `${side.name}: ${status.readySinceMark}/${opened.ok} back (${status.connected} connected), ${status.messagesSinceMark}/${expectedAway} away messages received`,
      );
      lastLog = performance.now();
    }
    await sleep(200);
  }
  if (!side.sdk) await sleep(3000); // the relay has nothing to sync: wait a little for stragglers
  status = await pool.status();
  const received = await pool.received();
  let delivered = 0;
  let missing = 0;
  let duplicates = 0;
  for (const c of received) {
    for (const [id, userId] of sentIds) {
      if (userId !== c.userId) continue;
      const times = c.ids[id] ?? 0;
      const away = awayIds.includes(id);
      if (times === 0) missing += 1;
      else if (away) delivered += 1;
      if (times > 1) duplicates += times - 1;
    }
  }
  const allReady = status.readySinceMark >= opened.ok;
  const allMessages = status.messagesSinceMark >= expectedAway;
  const readyAfter = allReady ? round((status.lastReadyAt - upAt) / 1000, 2) : null;
  const messagesAfter = allMessages ? round((status.lastMessageAt - upAt) / 1000, 2) : null;
  const result: StormResult = {
    name: side.name,
    clients: opened.ok,
    users: users.length,
    connectSeconds,
    liveBefore: { expected: liveExpected, received: live },
    downSeconds: round((upAt - killedAt) / 1000, 2),
    awayMessages: awayIds.length - failedSends,
    restartSeconds: round((upAt - killedAt) / 1000, 2),
    allReadyAfterRestartSeconds: readyAfter,
    allMessagesAfterRestartSeconds: messagesAfter,
    totalFromDropSeconds:
      allReady && (allMessages || !side.sdk)
        ? round((Math.max(status.lastReadyAt, side.sdk ? status.lastMessageAt : 0) - killedAt) / 1000, 2)
        : null,
    readyClients: status.readySinceMark,
    expectedAwayDeliveries: expectedAway,
    awayDelivered: delivered,
    missing,
    duplicates,
    notes: side.sdk ? "" : "the relay stores nothing: messages sent while a client is away are lost by design",
  };
  log(`${side.name}: ${JSON.stringify(result)}`);
  await pool.disconnect();
  return result;
}

const env = machine();
log(`machine: ${JSON.stringify(env)}`);
const pool = await ClientPool.start(workers);
const results: StormResult[] = [];
try {
  if (values.only !== "relay") {
    const platform = await startPlatform({ gateways: 2, nodeArgs: gatewayNodeArgs });
    try {
      const registered = await registerBenchUsers(platform, userCount, 10);
      const [senderUser] = await registerBenchUsers(platform, 1, 1);
      if (!senderUser) throw new Error("no sender");
      const tokens = registered.flatMap((u) => u.tokens.map((token) => ({ userId: u.userId, token })));
      const [gw1, gw2] = platform.gateways as [ServerProcess, ServerProcess];
      const specs = Array.from({ length: clients }, (_, i) => {
        const tk = tokens[i % tokens.length] as { userId: number; token: string };
        return { url: gw1.url, userId: tk.userId, token: tk.token };
      });
      const sender = await sdkMember(gw2.url, senderUser.userId, senderUser.token);
      results.push(
        await storm(
          {
            name: "platform",
            specs,
            sdk: true,
            sender,
            async kill() {
              const port = gw1.port;
              await gw1.process.kill();
              return async () => {
                await platform.startGateway(0, port);
              };
            },
          },
          pool,
          registered.map((u) => u.userId),
        ),
      );
      sender.close();
    } finally {
      await platform.stop();
    }
  }
  if (values.only !== "platform") {
    const redis = await startRedis();
    const options = { processes: 2, redisUrl: redis.url };
    const relays = await startRelay(options);
    try {
      const users = Array.from({ length: userCount }, (_, i) => i + 1);
      const specs = Array.from({ length: clients }, (_, i) => {
        const userId = ((i % (userCount * 10)) % userCount) + 1;
        return { url: (relays[0] as ServerProcess).url, userId, query: { userId: String(userId) } };
      });
      const sender = await relayMember((relays[1] as ServerProcess).url, 1_000_000);
      results.push(
        await storm(
          {
            name: "relay",
            specs,
            sdk: false,
            sender,
            async kill() {
              const first = relays[0] as ServerProcess;
              await first.process.kill();
              return async () => {
                relays[0] = await startRelayProcess(0, options, first.port);
              };
            },
          },
          pool,
          users,
        ),
      );
      sender.close();
    } finally {
      await Promise.all(relays.map((r) => r.process.stop()));
      await redis.stop();
    }
  }
} finally {
  await pool.stop();
}

const s = (x: number | null) => (x === null ? "not reached" : String(x));
console.log(
  `\n${table(
    [
      "server",
      "clients",
      "down s (kill → restart listening)",
      "restart → all back s",
      "restart → all away msgs in s",
      "kill → all back and caught up s",
      "away deliveries expected",
      "delivered",
      "missing",
      "duplicates",
    ],
    results.map((r) => [
      r.name,
      r.clients,
      r.downSeconds,
      s(r.allReadyAfterRestartSeconds),
      r.name === "relay" ? "n/a" : s(r.allMessagesAfterRestartSeconds),
      s(r.totalFromDropSeconds),
      r.expectedAwayDeliveries,
      r.awayDelivered,
      r.missing,
      r.duplicates,
    ]),
  )}`,
);
const file = writeResult("storm", { machine: env, options: { quick, clients, userCount, workers, awayPerUser, gatewayNodeArgs }, results });
console.log(`\nJSON: ${file}`);
process.exit(0);
