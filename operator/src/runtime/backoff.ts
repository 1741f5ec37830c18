/** Exponential backoff per key: base · 2^(failures-1), capped. Pure; the queue keeps the failure counts. */
export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

export const defaultBackoff: BackoffPolicy = { baseMs: 500, maxMs: 5 * 60_000 };

export function backoffDelay(failures: number, policy: BackoffPolicy = defaultBackoff): number {
  if (failures <= 0) return 0;
  // 2^30 already exceeds any sensible cap; avoid Infinity for large failure counts.
  const exponent = Math.min(failures - 1, 30);
  return Math.min(policy.maxMs, policy.baseMs * 2 ** exponent);
}
