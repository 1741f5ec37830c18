/** Latency samples of one kind, in milliseconds; percentiles by nearest rank over the sorted samples. */
export interface LatencySummary {
  count: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** The nearest-rank percentile (0 < q ≤ 1) of ascending `sorted`; 0 for no samples. */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? 0;
}

const round = (ms: number) => Math.round(ms * 100) / 100;

export function summarize(samples: readonly number[]): LatencySummary {
  const sorted = [...samples].sort((a, b) => a - b);
  const sum = sorted.reduce((total, v) => total + v, 0);
  return {
    count: sorted.length,
    mean: round(sorted.length ? sum / sorted.length : 0),
    p50: round(percentile(sorted, 0.5)),
    p95: round(percentile(sorted, 0.95)),
    p99: round(percentile(sorted, 0.99)),
    max: round(sorted.at(-1) ?? 0),
  };
}

/** Named sample series. */
export class Recorder<K extends string> {
  private readonly series = new Map<K, number[]>();

  constructor(readonly names: readonly K[]) {
    for (const name of names) this.series.set(name, []);
  }

  add(name: K, ms: number): void {
    this.series.get(name)?.push(ms);
  }

  summary(): Record<K, LatencySummary> {
    return Object.fromEntries(this.names.map((name) => [name, summarize(this.series.get(name) ?? [])])) as Record<K, LatencySummary>;
  }
}
