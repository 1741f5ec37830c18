/**
 * Benchmark (b): 1:1 messages per second, stored and delivered with receipts, at p99 receipt latency ≤ 100 ms,
 * and the latency percentiles at half that rate — the platform (one gateway process, SDK clients) beside the
 * bare Socket.IO relay (one process, in-memory adapter, raw socket.io-client) in the same run.
 *
 *   node --conditions=development --import tsx load/bench/throughput.ts [--quick] [--users 100] [--step-seconds 10] [--contacts K]
 *
 * --contacts K: each member writes only to its K fixed neighbours, and every one of those conversations is
 * opened before measuring (steady-state chat); without it (0) sends go to any other member, so most
 * messages open a new conversation (the expensive first message: sequence rebuild, conversation records).
 *
 * Rates step up by ×1.5 from --start (platform) / --relay-start (relay), each step open-loop for
 * --step-seconds (fixed-rate sends from random members to random other members, load/runner/scheduler.ts),
 * then a drain. A step passes when receipt p99 ≤ --p99-ms, nothing failed, and every acknowledged message
 * reached its recipient exactly once. Between the last pass and the first failure the rate is bisected
 * twice. The half-rate run lasts twice as long. All clients live in this process: clientElu near 1 means the
 * load generator, not the server, was the limit.
 */
import { parseArgs } from "node:util";
import { type Member, openAll, openConversations, relayMember, runStep, type StepResult, sdkMember, wire } from "./lib/drive.js";
import { log, machine, ratio, round, sleep, table, writeResult } from "./lib/report.js";
import { childPids, cpuOf, cpuSeconds, registerBenchUsers, startPlatform, startRelay } from "./lib/servers.js";

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    users: { type: "string" },
    "step-seconds": { type: "string" },
    start: { type: "string", default: "20" },
    "relay-start": { type: "string", default: "200" },
    "p99-ms": { type: "string", default: "100" },
    "max-steps": { type: "string", default: "14" },
    "cooldown-seconds": { type: "string", default: "15" },
    "gateway-node-args": { type: "string", default: "" },
    only: { type: "string" },
    contacts: { type: "string", default: "0" },
  },
});
const quick = values.quick ?? false;
const users = Number(values.users ?? (quick ? 20 : 100));
const stepSeconds = Number(values["step-seconds"] ?? (quick ? 5 : 10));
const p99Ms = Number(values["p99-ms"]);
const maxSteps = Number(values["max-steps"]);
const cooldownSeconds = Number(values["cooldown-seconds"]);
const gatewayNodeArgs = (values["gateway-node-args"] ?? "").split(" ").filter(Boolean);
/** 0: sends go to any other member (mostly new conversations); K: to one of K fixed contacts, opened first. */
const contacts = Number(values.contacts);

const passes = (s: StepResult) => s.receipt.p99 <= p99Ms && s.failures === 0 && s.unsettled === 0 && s.missing === 0 && s.duplicates === 0;

interface Search {
  name: string;
  steps: Array<StepResult & { pass: boolean; serverCpu: number; ferretdbCpu: number; redisCpu: number }>;
  maxRate: number;
  half?: StepResult & { serverCpu: number; ferretdbCpu: number; redisCpu: number };
}

/** One fixed-rate step with the CPU the server, FerretDB and Redis used meanwhile (in cores). */
async function measure(members: Member[], rate: number, seconds: number, pid: number): Promise<Search["steps"][number]> {
  const ferretdb = childPids("ferretdb");
  const redis = childPids("redis-server");
  const before = [cpuSeconds(pid), cpuOf(ferretdb), cpuOf(redis)];
  const t0 = performance.now();
  const result = await runStep(members, "direct", rate, seconds, 10, undefined, contacts);
  const elapsed = (performance.now() - t0) / 1000;
  const after = [cpuSeconds(pid), cpuOf(ferretdb), cpuOf(redis)];
  const cores = (i: number) => round(((after[i] ?? 0) - (before[i] ?? 0)) / elapsed, 2);
  const pass = passes(result);
  // A step that fell behind leaves resends and backlog: let the server drain before the next one.
  if (!pass) await sleep(cooldownSeconds * 1000);
  return { ...result, pass, serverCpu: cores(0), ferretdbCpu: cores(1), redisCpu: cores(2) };
}

async function search(name: string, members: Member[], start: number, pid: number): Promise<Search> {
  wire(members);
  const steps: Search["steps"] = [];
  const step = (rate: number) => measure(members, rate, stepSeconds, pid);
  // Warm-up (JIT, connection pools; with --contacts, every conversation opened once), not recorded.
  if (contacts > 0) await openConversations(members, contacts);
  await runStep(members, "direct", Math.max(5, Math.round(start / 4)), 2, 5, undefined, contacts);
  let good = 0;
  let bad = 0;
  const show = (rate: number, s: Search["steps"][number], note = "") =>
    log(
      `${name} ${rate}/s${note}: receipt p99 ${round(s.receipt.p99)} ms, delivery p99 ${round(s.delivery.p99)} ms, server CPU ${s.serverCpu}, FerretDB CPU ${s.ferretdbCpu}, client ELU ${s.clientElu} → ${s.pass ? "pass" : "FAIL"}`,
    );
  // Up by ×1.5 from the start until a step fails; when the start already fails, down by ×0.5 until one passes.
  for (let rate = start, i = 0; i < maxSteps && rate >= 1; i++) {
    const s = await step(rate);
    steps.push(s);
    show(rate, s);
    if (s.pass) good = Math.max(good, rate);
    else bad = bad === 0 ? rate : Math.min(bad, rate);
    if (good > 0 && bad > 0) break;
    rate = s.pass ? Math.round(rate * 1.5) : Math.floor(rate / 2);
  }
  for (let i = 0; good > 0 && bad > 0 && i < 2 && bad - good > 1; i++) {
    const rate = Math.round((good + bad) / 2);
    const s = await step(rate);
    steps.push(s);
    show(rate, s, " (bisect)");
    if (s.pass) good = rate;
    else bad = rate;
  }
  return { name, steps, maxRate: good };
}

/** The run at half the found rate, twice as long, after a warm-up. */
async function half(name: string, members: Member[], maxRate: number, pid: number): Promise<NonNullable<Search["half"]>> {
  wire(members);
  const rate = Math.max(1, Math.round(maxRate / 2));
  if (contacts > 0) await openConversations(members, contacts);
  await runStep(members, "direct", Math.max(5, Math.round(rate / 4)), 2, 5, undefined, contacts);
  const { pass: _pass, ...h } = await measure(members, rate, stepSeconds * 2, pid);
  log(`${name} half rate ${rate}/s: receipt p50/p95/p99 ${round(h.receipt.p50)}/${round(h.receipt.p95)}/${round(h.receipt.p99)} ms`);
  return h;
}

interface Side {
  members: Member[];
  pid: number;
  close(): Promise<void>;
}

/** A fresh platform: new Redis and FerretDB (empty database), one gateway, one SDK client per user. */
async function openPlatform(): Promise<Side> {
  const platform = await startPlatform({ gateways: 1, nodeArgs: gatewayNodeArgs });
  try {
    const registered = await registerBenchUsers(platform, users, 1);
    const gateway = platform.gateways[0];
    if (!gateway) throw new Error("no gateway");
    const members = await openAll(registered.length, 20, (i) => {
      const u = registered[i] as (typeof registered)[number];
      return sdkMember(gateway.url, u.userId, u.token);
    });
    log(`platform: ${members.length} SDK clients connected`);
    return {
      members,
      pid: gateway.pid,
      async close() {
        for (const m of members) m.close();
        await platform.stop();
      },
    };
  } catch (error) {
    await platform.stop();
    throw error;
  }
}

async function openRelay(): Promise<Side> {
  const [relay] = await startRelay({ processes: 1 });
  if (!relay) throw new Error("no relay");
  const members = await openAll(users, 20, (i) => relayMember(relay.url, i + 1));
  return {
    members,
    pid: relay.pid,
    async close() {
      for (const m of members) m.close();
      await relay.process.stop();
    },
  };
}

const env = machine();
log(`machine: ${JSON.stringify(env)}`);
const searches: Search[] = [];
for (const [name, open, start] of [
  ["platform", openPlatform, Number(values.start)],
  ["relay", openRelay, Number(values["relay-start"])],
] as const) {
  if (values.only && values.only !== name) continue;
  let side = await open();
  try {
    const found = await search(name, side.members, start, side.pid);
    // The half-rate run starts from a fresh server (an empty database: FerretDB's cost grows with the data
    // stored, see ferretdb-ops.ts) so it is not measured in the wake of the failed steps.
    if (found.maxRate > 0) {
      await side.close();
      side = await open();
      found.half = await half(name, side.members, found.maxRate, side.pid);
    }
    searches.push(found);
  } finally {
    await side.close();
  }
}

const [p, r] = searches;
const l = (s: StepResult["receipt"]) => `${round(s.p50)} / ${round(s.p95)} / ${round(s.p99)} / ${round(s.max)}`;
console.log(
  `\n${table(
    [
      "server",
      `max 1:1 msg/s at receipt p99 ≤ ${p99Ms} ms`,
      "half rate",
      "receipt p50/p95/p99/max ms at half",
      "delivery p50/p95/p99/max ms at half",
      "server CPU (cores) at half",
      "client ELU at half",
    ],
    searches.map((s) => [
      s.name,
      s.maxRate,
      s.half?.rate ?? 0,
      s.half ? l(s.half.receipt) : "",
      s.half ? l(s.half.delivery) : "",
      s.half?.serverCpu ?? 0,
      s.half?.clientElu ?? 0,
    ]),
  )}`,
);
if (p && r) console.log(`\nmax rate, platform / relay: ${ratio(p.maxRate, r.maxRate)}`);
for (const s of searches) {
  console.log(`\n${s.name} steps:`);
  console.log(
    table(
      [
        "rate/s",
        "sent",
        "receipt p50 ms",
        "p99 ms",
        "delivery p99 ms",
        "failed",
        "missing",
        "dup",
        "server CPU",
        "FerretDB CPU",
        "Redis CPU",
        "client ELU",
        "pass",
      ],
      s.steps.map((x) => [
        x.rate,
        x.sent,
        round(x.receipt.p50),
        round(x.receipt.p99),
        round(x.delivery.p99),
        x.failures + x.unsettled,
        x.missing,
        x.duplicates,
        x.serverCpu,
        x.ferretdbCpu,
        x.redisCpu,
        x.clientElu,
        x.pass ? "yes" : "no",
      ]),
    ),
  );
}
const file = writeResult("throughput", {
  machine: env,
  options: { quick, users, stepSeconds, p99Ms, gatewayNodeArgs, contacts },
  searches,
});
console.log(`\nJSON: ${file}`);
process.exit(0);
