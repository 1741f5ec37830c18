/** How many ticks of a fixed-rate schedule are due `elapsedMs` after its start (tick i is due at i × interval). */
export function ticksDue(elapsedMs: number, ratePerSecond: number, durationMs: number): number {
  if (ratePerSecond <= 0 || elapsedMs < 0) return 0;
  const total = Math.floor((ratePerSecond * durationMs) / 1000);
  return Math.min(total, Math.floor((elapsedMs * ratePerSecond) / 1000) + 1);
}

export interface ScheduleResult {
  ticks: number;
  /** How late each tick fired behind its due time, ms (the runner's own saturation). */
  lagMs: number[];
}

/**
 * Calls `tick` at a fixed rate for `durationMs` — tick i at start + i / rate — without waiting for earlier
 * ticks to finish (an open-loop load: a slow server does not slow the offered rate). Ticks that fell behind
 * (a blocked event loop) fire at once on the next wake-up.
 */
export async function fixedRate(ratePerSecond: number, durationMs: number, tick: (index: number) => void): Promise<ScheduleResult> {
  const result: ScheduleResult = { ticks: 0, lagMs: [] };
  if (ratePerSecond <= 0) return result;
  const interval = 1000 / ratePerSecond;
  const total = ticksDue(Number.POSITIVE_INFINITY, ratePerSecond, durationMs);
  const start = performance.now();
  while (result.ticks < total) {
    const now = performance.now();
    const due = ticksDue(now - start, ratePerSecond, durationMs);
    while (result.ticks < due) {
      result.lagMs.push(Math.max(0, now - (start + result.ticks * interval)));
      tick(result.ticks);
      result.ticks += 1;
    }
    if (result.ticks >= total) break;
    const wait = start + result.ticks * interval - performance.now();
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, wait)));
  }
  return result;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `done` every 50 ms until it holds or `timeoutMs` passes; returns whether it held. */
export async function waitFor(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!done()) {
    if (performance.now() >= deadline) return false;
    await sleep(50);
  }
  return true;
}
