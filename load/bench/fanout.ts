/**
 * Benchmark (c): group fan-out — deliveries per second into a --members (500) member room whose members are
 * spread over two gateway processes, at the highest message rate where delivery keeps up; beside the bare
 * Socket.IO relay with two processes and the same sharded Redis adapter, in the same run.
 *
 *   node --conditions=development --import tsx load/bench/fanout.ts [--quick] [--members 500] [--step-seconds 10]
 *
 * Platform: members registered through the API, befriended by the owner and put in one room (the load
 * runner's setup), one SDK client each, alternating between the two gateways. Relay: one raw client per
 * member, alternating between the two relay processes, each joining the room `g:load`.
 * Messages go from random members to the room at a fixed rate per step (×1.5 up from --start /
 * --relay-start, then two bisections). Delivery keeps up when, after a --drain-seconds drain, every
 * acknowledged message reached every other member exactly once, nothing failed, and delivery p99 (send →
 * recipient's `message` event) ≤ --p99-ms. Deliveries per second = messages per second × (members − 1).
 * All clients live in this process; clientElu near 1 means the load generator was the limit.
 */
import { parseArgs } from "node:util";
import { startRedis } from "@im/testing";
import { createRoom } from "../runner/setup.js";
import { type Member, openAll, relayMember, runStep, type StepResult, sdkMember, wire } from "./lib/drive.js";
import { log, machine, ratio, round, sleep, table, writeResult } from "./lib/report.js";
import { childPids, cpuOf, cpuSeconds, registerBenchUsers, startPlatform, startRelay } from "./lib/servers.js";

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    members: { type: "string" },
    "step-seconds": { type: "string" },
    "drain-seconds": { type: "string", default: "5" },
    start: { type: "string", default: "2" },
    "relay-start": { type: "string", default: "20" },
    "p99-ms": { type: "string", default: "1000" },
    "max-steps": { type: "string", default: "16" },
    "cooldown-seconds": { type: "string", default: "20" },
    "gateway-node-args": { type: "string", default: "" },
    only: { type: "string" },
  },
});
const quick = values.quick ?? false;
const size = Number(values.members ?? (quick ? 50 : 500));
const stepSeconds = Number(values["step-seconds"] ?? (quick ? 5 : 10));
const drainSeconds = Number(values["drain-seconds"]);
const p99Ms = Number(values["p99-ms"]);
const maxSteps = Number(values["max-steps"]);
const cooldownSeconds = Number(values["cooldown-seconds"]);
const gatewayNodeArgs = (values["gateway-node-args"] ?? "").split(" ").filter(Boolean);

const keepsUp = (s: StepResult) =>
  s.delivery.p99 <= p99Ms && s.failures === 0 && s.unsettled === 0 && s.missing === 0 && s.duplicates === 0;

type Row = StepResult & { pass: boolean; serverCpu: number; ferretdbCpu: number; offeredDeliveriesPerSecond: number };
interface Search {
  name: string;
  steps: Row[];
  maxRate: number;
  deliveriesPerSecond: number;
}

async function search(name: string, members: Member[], roomId: string, start: number, pids: number[]): Promise<Search> {
  wire(members);
  const steps: Row[] = [];
  const cpu = () => pids.reduce((s, pid) => s + cpuSeconds(pid), 0);
  const step = async (rate: number): Promise<Row> => {
    const ferretdb = childPids("ferretdb");
    const cpu0 = cpu();
    const db0 = cpuOf(ferretdb);
    const t0 = performance.now();
    const result = await runStep(members, "group", rate, stepSeconds, drainSeconds, roomId);
    const elapsed = (performance.now() - t0) / 1000;
    const serverCpu = round((cpu() - cpu0) / elapsed, 2);
    const ferretdbCpu = round((cpuOf(ferretdb) - db0) / elapsed, 2);
    const row = {
      ...result,
      pass: keepsUp(result),
      serverCpu,
      ferretdbCpu,
      offeredDeliveriesPerSecond: Math.round(rate * (members.length - 1)),
    };
    steps.push(row);
    // A step that fell behind leaves resends and backlog: let the servers drain before the next one.
    if (!row.pass) await sleep(cooldownSeconds * 1000);
    log(
      `${name} ${rate} msg/s (${row.offeredDeliveriesPerSecond} deliveries/s): delivery p50/p99 ${round(row.delivery.p50)}/${round(row.delivery.p99)} ms, missing ${row.missing}, receipt p99 ${round(row.receipt.p99)} ms, servers CPU ${serverCpu}, FerretDB CPU ${ferretdbCpu}, client ELU ${row.clientElu} → ${row.pass ? "keeps up" : "FAIL"}`,
    );
    return row;
  };
  await runStep(members, "group", Math.max(0.5, start / 4), 2, drainSeconds, roomId); // warm-up, not recorded
  let good = 0;
  let bad = 0;
  for (let rate = start, i = 0; i < maxSteps && rate >= 0.25; i++) {
    const s = await step(rate);
    if (s.pass) good = Math.max(good, rate);
    else bad = bad === 0 ? rate : Math.min(bad, rate);
    if (good > 0 && bad > 0) break;
    rate = s.pass ? round(rate * 1.5, 2) : round(rate / 2, 2);
  }
  for (let i = 0; good > 0 && bad > 0 && i < 2 && bad / good > 1.1; i++) {
    const rate = round((good + bad) / 2, 2);
    const s = await step(rate);
    if (s.pass) good = rate;
    else bad = rate;
  }
  return { name, steps, maxRate: good, deliveriesPerSecond: Math.round(good * (members.length - 1)) };
}

const env = machine();
log(`machine: ${JSON.stringify(env)}`);
const searches: Search[] = [];
const setup: Record<string, number> = {};
if (values.only !== "relay") {
  const platform = await startPlatform({ gateways: 2, nodeArgs: gatewayNodeArgs });
  try {
    let t = performance.now();
    const users = await registerBenchUsers(platform, size, 1);
    setup.registerSeconds = round((performance.now() - t) / 1000);
    t = performance.now();
    const [owner, ...others] = users;
    if (!owner) throw new Error("no users");
    const roomId = await createRoom(platform.api, owner, others);
    setup.roomSeconds = round((performance.now() - t) / 1000);
    log(`platform: ${size} users registered in ${setup.registerSeconds} s, room made in ${setup.roomSeconds} s`);
    const members = await openAll(users.length, 20, (i) => {
      const u = users[i] as (typeof users)[number];
      const gateway = platform.gateways[i % 2] as (typeof platform.gateways)[number];
      return sdkMember(gateway.url, u.userId, u.token);
    });
    log(`platform: ${members.length} SDK clients connected over two gateways`);
    searches.push(
      await search(
        "platform",
        members,
        roomId,
        Number(values.start),
        platform.gateways.map((g) => g.pid),
      ),
    );
    for (const m of members) m.close();
  } finally {
    await platform.stop();
  }
}
if (values.only !== "platform") {
  const redis = await startRedis();
  const relays = await startRelay({ processes: 2, redisUrl: redis.url });
  try {
    const members = await openAll(size, 20, (i) => relayMember((relays[i % 2] as (typeof relays)[number]).url, i + 1, ["load"]));
    searches.push(
      await search(
        "relay",
        members,
        "load",
        Number(values["relay-start"]),
        relays.map((r) => r.pid),
      ),
    );
    for (const m of members) m.close();
  } finally {
    await Promise.all(relays.map((r) => r.process.stop()));
    await redis.stop();
  }
}

const [p, r] = searches;
console.log(
  `\n${table(
    [
      "server (2 processes)",
      "members",
      "max msg/s keeping up",
      "deliveries/s",
      "delivery p50/p99 ms there",
      "receipt p99 ms there",
      "servers CPU (cores)",
      "client ELU",
    ],
    searches.map((s) => {
      const at = s.steps.filter((x) => x.pass && x.rate === s.maxRate).at(-1);
      return [
        s.name,
        size,
        s.maxRate,
        s.deliveriesPerSecond,
        at ? `${round(at.delivery.p50)} / ${round(at.delivery.p99)}` : "",
        at ? round(at.receipt.p99) : "",
        at?.serverCpu ?? "",
        at?.clientElu ?? "",
      ];
    }),
  )}`,
);
if (p && r) console.log(`\ndeliveries/s, platform / relay: ${ratio(p.deliveriesPerSecond, r.deliveriesPerSecond)}`);
for (const s of searches) {
  console.log(`\n${s.name} steps:`);
  console.log(
    table(
      [
        "msg/s",
        "deliveries/s offered",
        "measured",
        "delivery p50 ms",
        "p99 ms",
        "receipt p99 ms",
        "missing",
        "dup",
        "failed",
        "servers CPU",
        "FerretDB CPU",
        "client ELU",
        "keeps up",
      ],
      s.steps.map((x) => [
        x.rate,
        x.offeredDeliveriesPerSecond,
        x.deliveriesPerSecond,
        round(x.delivery.p50),
        round(x.delivery.p99),
        round(x.receipt.p99),
        x.missing,
        x.duplicates,
        x.failures + x.unsettled,
        x.serverCpu,
        x.ferretdbCpu,
        x.clientElu,
        x.pass ? "yes" : "no",
      ]),
    ),
  );
}
const file = writeResult("fanout", {
  machine: env,
  options: { quick, size, stepSeconds, drainSeconds, p99Ms, gatewayNodeArgs },
  setup,
  searches,
});
console.log(`\nJSON: ${file}`);
process.exit(0);
