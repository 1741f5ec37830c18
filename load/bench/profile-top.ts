/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`): the top functions by self time, and by inclusive
 * time for frames in this repository.
 *
 *   node --import tsx load/bench/profile-top.ts <file.cpuprofile> [top=25]
 */
import { readFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const [file, topArg = "25"] = process.argv.slice(2);
if (!file) {
  console.error("usage: profile-top.ts <file.cpuprofile> [top]");
  process.exit(2);
}
const top = Number(topArg);
const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

const selfUs = new Map<number, number>();
profile.samples.forEach((id, i) => {
  selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
});
const totalUs = profile.endTime - profile.startTime;

const root = new URL("../..", import.meta.url).pathname;
const label = (node: ProfileNode) => {
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url.replace(/^file:\/\//, "").replace(root, "");
  return `${functionName || "(anonymous)"} ${where ? `${where}:${lineNumber + 1}` : ""}`.trim();
};

const self = new Map<string, number>();
const inclusive = new Map<string, number>();
for (const [id, us] of selfUs) {
  const node = byId.get(id);
  if (!node) continue;
  self.set(label(node), (self.get(label(node)) ?? 0) + us);
  // Inclusive: every distinct frame on the stack gets the sample once.
  const seen = new Set<string>();
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
    const frame = byId.get(at);
    if (!frame) break;
    const name = label(frame);
    if (seen.has(name)) continue;
    seen.add(name);
    inclusive.set(name, (inclusive.get(name) ?? 0) + us);
  }
}

const pct = (us: number) => `${((100 * us) / totalUs).toFixed(1).padStart(5)} %`;
const ms = (us: number) => `${(us / 1000).toFixed(0).padStart(7)} ms`;
console.log(`${file}: ${(totalUs / 1e6).toFixed(1)} s profiled`);
console.log("\nself time:");
for (const [name, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${ms(us)} ${pct(us)}  ${name}`);
console.log("\ninclusive time, frames in this repository (apps/, libs/):");
for (const [name, us] of [...inclusive]
  .filter(([name]) => /(^| )(apps|libs)\//.test(name))
  .sort((a, b) => b[1] - a[1])
  .slice(0, top))
  console.log(`${ms(us)} ${pct(us)}  ${name}`);
console.log("\ninclusive time, packages:");
const packages = new Map<string, number>();
for (const [id, us] of selfUs) {
  const node = byId.get(id);
  if (!node) continue;
  const pkg =
    /node_modules\/((@[^/]+\/)?[^/]+)/.exec(node.callFrame.url)?.[1] ??
    (node.callFrame.url ? "(repo or node:)" : node.callFrame.functionName || "(native)");
  packages.set(pkg, (packages.get(pkg) ?? 0) + us);
}
for (const [name, us] of [...packages].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`${ms(us)} ${pct(us)}  ${name}`);
