import type { LoadResult } from "./run.js";
import type { LatencySummary } from "./stats.js";

const row = (name: string, s: LatencySummary) =>
  `  ${name.padEnd(16)} n=${String(s.count).padStart(6)}  p50=${s.p50.toFixed(1).padStart(8)}  p95=${s.p95.toFixed(1).padStart(8)}  p99=${s.p99.toFixed(1).padStart(8)}  max=${s.max.toFixed(1).padStart(8)}`;

/** The human-readable report of a run. */
export function formatSummary(r: LoadResult): string {
  const e = r.exactlyOnce;
  return [
    `load run ${r.ok ? "OK" : "FAILED"}: ${r.setup.connected} clients on ${r.gateways.length} gateway(s), ${r.throughput.sendSeconds} s of sending`,
    `setup: register ${r.setup.registerSeconds} s, room ${r.setup.roomSeconds} s, ramp ${r.setup.rampSeconds} s, connect failures ${r.setup.connectFailures}`,
    `1:1:   sent ${r.counts.direct.sent}, receipts ${r.counts.direct.receipts}, failures ${r.counts.direct.failures}`,
    `group: sent ${r.counts.group.sent}, receipts ${r.counts.group.receipts}, failures ${r.counts.group.failures}`,
    `unsettled at the end ${r.counts.unsettled}, duplicate receipts ${r.counts.duplicateReceipts}`,
    `throughput: ${r.throughput.sendsPerSecond} sends/s, ${r.throughput.receiptsPerSecond} receipts/s, ${r.throughput.deliveriesPerSecond} deliveries/s`,
    "latency (ms):",
    row("connect", r.latencyMs.connect),
    row("1:1 receipt", r.latencyMs.directReceipt),
    row("1:1 delivery", r.latencyMs.directDelivery),
    row("group receipt", r.latencyMs.groupReceipt),
    row("group delivery", r.latencyMs.groupDelivery),
    row("scheduler lag", r.latencyMs.schedulerLag),
    `exactly-once: ${e.acknowledged} acknowledged, ${e.delivered}/${e.expectedDeliveries} delivered, missing ${e.missing}, duplicates ${e.duplicates}, unexpected ${e.unexpected}`,
    ...e.missingSamples.map((m) => `  missing ${m.kind} ${m.messageId} → user ${m.userId}`),
    ...e.duplicateSamples.map((d) => `  duplicate ${d.kind} ${d.messageId} → user ${d.userId} ×${d.times}`),
    ...r.failureSamples.map((f) => `  failure: ${f}`),
    `result: ${r.out}`,
  ].join("\n");
}
