/**
 * Benchmark (a): the most concurrent authenticated connections one gateway process holds, and its RSS per
 * connection — beside the bare Socket.IO relay (load/relay/server.ts, one process, in-memory adapter) in the
 * same run.
 *
 *   node --conditions=development --import tsx load/bench/connections.ts [--quick] [--cap 19000] [--step 2000]
 *
 * Connections are opened in steps by client processes (lib/client-worker.ts), raw socket.io-client over
 * WebSocket with the SDK's handshake (auth token, resource, protocol version); a connection counts once the
 * server's `session:ready` arrived (gateway: token resolved in Redis, presence recorded, user room joined).
 * The ramp stops at the cap, when more than 1 % of a step fails, or when a step's handshake p99 passes
 * --p99-limit-ms (20 s; handshakes are opened --concurrency (100) at a time, so the p99 mostly measures the
 * handshake rate). RSS is VmRSS of the server process from /proc, read 3 s after each step.
 *
 * Users: registering through the API costs ~100 ms each on FerretDB, so the run registers --users users and
 * gives each --devices device sessions with @im/auth's createSession (what login does); connection i uses
 * token i mod (users × devices), as several tabs of one browser share a token. Every connection still goes
 * through the gateway's whole handshake.
 */
import { parseArgs } from "node:util";
import { ClientPool, type ClientSpec } from "./lib/pool.js";
import { log, machine, ratio, round, sleep, summarize, table, writeResult } from "./lib/report.js";
import { cpuSeconds, registerBenchUsers, rssBytes, startPlatform, startRelay } from "./lib/servers.js";

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    cap: { type: "string" },
    step: { type: "string" },
    workers: { type: "string" },
    users: { type: "string" },
    devices: { type: "string", default: "10" },
    "p99-limit-ms": { type: "string", default: "20000" },
    concurrency: { type: "string", default: "100" },
  },
});
const quick = values.quick ?? false;
const cap = Number(values.cap ?? (quick ? 2000 : 19_000));
const step = Number(values.step ?? (quick ? 500 : 2000));
const workers = Number(values.workers ?? (quick ? 2 : 4));
const users = Number(values.users ?? (quick ? 20 : 100));
const devices = Number(values.devices);
const p99Limit = Number(values["p99-limit-ms"]);
const concurrency = Number(values.concurrency);

interface StepRow {
  target: number;
  held: number;
  failed: number;
  handshakeP50: number;
  handshakeP99: number;
  rssMiB: number;
  rssPerConnKiB: number;
  cpuMsPerConn: number;
  seconds: number;
}

interface RampResult {
  name: string;
  baseRssMiB: number;
  steps: StepRow[];
  maxHeld: number;
  stillConnectedAfter10s: number;
  rssPerConnKiB: number;
  stopReason: string;
  errors: string[];
}

async function ramp(name: string, pid: number, spec: (i: number) => ClientSpec, pool: ClientPool): Promise<RampResult> {
  await sleep(3000);
  const base = rssBytes(pid);
  const steps: StepRow[] = [];
  let held = 0;
  let stopReason = `cap ${cap}`;
  const errors: string[] = [];
  log(`${name}: base RSS ${round(base / 2 ** 20)} MiB; ramping to ${cap} in steps of ${step}`);
  while (held < cap) {
    const count = Math.min(step, cap - held);
    const specs = Array.from({ length: count }, (_, k) => spec(held + k));
    const cpuBefore = cpuSeconds(pid);
    const started = performance.now();
    const opened = await pool.open(specs, { concurrency, timeoutMs: 30_000 });
    const seconds = (performance.now() - started) / 1000;
    const cpu = cpuSeconds(pid) - cpuBefore;
    held += opened.ok;
    errors.push(...opened.errors.slice(0, 3));
    await sleep(3000);
    const rss = rssBytes(pid);
    const s = summarize(opened.latencies);
    const row: StepRow = {
      target: held + opened.failed,
      held,
      failed: opened.failed,
      handshakeP50: round(s.p50),
      handshakeP99: round(s.p99),
      rssMiB: round(rss / 2 ** 20),
      rssPerConnKiB: round((rss - base) / held / 1024, 2),
      cpuMsPerConn: round((cpu * 1000) / Math.max(1, opened.ok), 2),
      seconds: round(seconds),
    };
    steps.push(row);
    log(`${name}: ${JSON.stringify(row)}`);
    if (opened.failed > count * 0.01) {
      stopReason = `${opened.failed} of ${count} failed in the last step`;
      break;
    }
    if (s.p99 > p99Limit) {
      stopReason = `handshake p99 ${round(s.p99)} ms > ${p99Limit} ms`;
      break;
    }
  }
  await sleep(10_000);
  const status = await pool.status();
  const last = steps.at(-1);
  return {
    name,
    baseRssMiB: round(base / 2 ** 20),
    steps,
    maxHeld: held,
    stillConnectedAfter10s: status.connected,
    rssPerConnKiB: last?.rssPerConnKiB ?? 0,
    stopReason,
    errors: errors.slice(0, 10),
  };
}

const env = machine();
log(`machine: ${JSON.stringify(env)}`);
const pool = await ClientPool.start(workers);
const results: RampResult[] = [];
let registerSeconds = 0;
try {
  const platform = await startPlatform({ gateways: 1 });
  try {
    const t = performance.now();
    const registered = await registerBenchUsers(platform, users, devices);
    registerSeconds = round((performance.now() - t) / 1000);
    const tokens = registered.flatMap((u) => u.tokens.map((token) => ({ userId: u.userId, token })));
    log(`registered ${users} users × ${devices} device sessions in ${registerSeconds} s`);
    const gateway = platform.gateways[0];
    if (!gateway) throw new Error("no gateway");
    results.push(
      await ramp(
        "gateway",
        gateway.pid,
        (i) => {
          const t = tokens[i % tokens.length] as { userId: number; token: string };
          return { url: gateway.url, userId: t.userId, token: t.token };
        },
        pool,
      ),
    );
    await pool.disconnect();
  } finally {
    await platform.stop();
  }
  const [relay] = await startRelay({ processes: 1 });
  if (!relay) throw new Error("no relay");
  try {
    results.push(await ramp("relay", relay.pid, (i) => ({ url: relay.url, userId: i + 1, query: { userId: String(i + 1) } }), pool));
    await pool.disconnect();
  } finally {
    await relay.process.stop();
  }
} finally {
  await pool.stop();
}

const [gw, relay] = results;
console.log(
  `\n${table(
    [
      "server",
      "max held",
      "stop reason",
      "still connected 10 s later",
      "base RSS MiB",
      "RSS MiB at max",
      "RSS/conn KiB",
      "handshake p99 last step ms",
      "server CPU ms/conn",
    ],
    results.map((r) => {
      const last = r.steps.at(-1);
      return [
        r.name,
        r.maxHeld,
        r.stopReason,
        r.stillConnectedAfter10s,
        r.baseRssMiB,
        last?.rssMiB ?? 0,
        r.rssPerConnKiB,
        last?.handshakeP99 ?? 0,
        last?.cpuMsPerConn ?? 0,
      ];
    }),
  )}`,
);
if (gw && relay) console.log(`\nRSS per connection, gateway / relay: ${ratio(gw.rssPerConnKiB, relay.rssPerConnKiB)}`);
for (const r of results) {
  console.log(`\n${r.name} steps:`);
  console.log(
    table(
      ["held", "failed", "handshake p50 ms", "p99 ms", "RSS MiB", "RSS/conn KiB", "server CPU ms/conn", "step s"],
      r.steps.map((s) => [s.held, s.failed, s.handshakeP50, s.handshakeP99, s.rssMiB, s.rssPerConnKiB, s.cpuMsPerConn, s.seconds]),
    ),
  );
}
const file = writeResult("connections", {
  machine: env,
  options: { quick, cap, step, workers, users, devices, p99Limit, concurrency },
  registerSeconds,
  results,
});
console.log(`\nJSON: ${file}`);
process.exit(0);
