// Tables on stdout and JSON under load/results/, with what the machine was doing while the numbers were taken.
import { execSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import { summarize } from "../../runner/stats.js";

const root = new URL("../../..", import.meta.url).pathname;

export { summarize };

/** Load average and competing compiler processes: numbers taken on a busy machine say so. */
export function machine(): { loadavg1: number; cpus: number; memGiB: number; compilers: number; commit: string; node: string } {
  let compilers = 0;
  let commit = "";
  try {
    compilers = Number(execSync("ps -eo args | grep -E 'go build|/compile ' | grep -vc grep", { encoding: "utf8" }).trim()) || 0;
  } catch {
    compilers = 0; // grep -c exits 1 on no match
  }
  try {
    commit = execSync("git rev-parse --short HEAD", { cwd: root, encoding: "utf8" }).trim();
  } catch {
    commit = "";
  }
  return {
    loadavg1: Math.round((loadavg()[0] ?? 0) * 100) / 100,
    cpus: cpus().length,
    memGiB: Math.round(totalmem() / 2 ** 30),
    compilers,
    commit,
    node: process.version,
  };
}

export function table(headers: string[], rows: Array<Array<string | number>>): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  return [line(headers), `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`, ...cells.slice(1).map(line)].join("\n");
}

/** Writes `load/results/<name>-<timestamp>.json` and returns its path. */
export function writeResult(name: string, result: unknown): string {
  const dir = join(root, "load/results");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  return file;
}

export const ratio = (a: number, b: number) => (b === 0 ? "n/a" : Number((a / b).toPrecision(2)).toString());
export const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
export const log = (line: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
