import { Agent, request } from "node:https";
import type { SendControl, SendOutcome } from "@im/push";
import { graphemesOf } from "../texts.js";

/** An HTTP answer read whole (provider answers are small JSON). */
export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A keep-alive HTTPS client for one provider host family; `ca` adds trusted certificates (PUSH_CA_FILE). */
export interface HttpsClient {
  post(url: string, headers: Record<string, string>, body: string, signal?: AbortSignal): Promise<HttpAnswer>;
  close(): void;
}

/**
 * Makes a client on node:https with a keep-alive agent (`maxSockets` connections per host). Each request is
 * cut after `timeoutMs` (throws); `signal` aborts it (throws). Answers of at most 1 MiB are read.
 */
export function createHttpsClient(options: { ca?: string; timeoutMs: number; maxSockets?: number }): HttpsClient {
  const agent = new Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 64, ...(options.ca ? { ca: options.ca } : {}) });
  return {
    post(url, headers, body, signal) {
      return new Promise<HttpAnswer>((resolve, reject) => {
        const payload = Buffer.from(body);
        const req = request(url, {
          method: "POST",
          agent,
          headers: { ...headers, "content-length": String(payload.length) },
          timeout: options.timeoutMs,
          signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(options.timeoutMs)]) : AbortSignal.timeout(options.timeoutMs),
        });
        req.on("timeout", () => req.destroy(new Error(`timed out after ${options.timeoutMs} ms`)));
        req.on("error", reject);
        req.on("response", (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on("data", (chunk: Buffer) => {
            size += chunk.length;
            if (size > 1024 * 1024) res.destroy(new Error("answer over 1 MiB"));
            else chunks.push(chunk);
          });
          res.on("error", reject);
          res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
        });
        req.end(payload);
      });
    },
    close() {
      agent.destroy();
    },
  };
}

/** What one attempt of a send came to: a final outcome, or a reason to try again (after `retryAfterMs` if said). */
export type AttemptResult = { done: FinalOutcome } | { again: string; retryAfterMs?: number };

type DistributiveOmit<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;
/** A send's outcome before the attempts are counted. */
export type FinalOutcome = DistributiveOmit<SendOutcome, "attempts">;

/** How a client retries inside one send. */
export interface RetryPolicy {
  /** Retries after the first attempt (PUSH_PROVIDER_RETRIES). */
  retries: number;
  /** First backoff, ms (doubled per retry, with jitter between half and all of it). Default 500. */
  baseDelayMs?: number;
  /** Longest backoff, ms. Default 8000. */
  maxDelayMs?: number;
  /** A Retry-After longer than this ends the send with `retry` (the worker re-delivers later) instead of waiting, ms. Default 10000. */
  maxWaitMs?: number;
  /** Epoch ms clock (tests move it); waits use real timers. */
  now?: () => number;
}

/** Default longest backoff and longest Retry-After waited inside one send, ms. */
export const DEFAULT_MAX_DELAY_MS = 8_000;
export const DEFAULT_MAX_WAIT_MS = 10_000;

/** The reason a send ends with when its worker stopped it between attempts (SendControl.stop). */
export const STOPPING_REASON = "stopping";

/** The reason a send ends with when the notification's `expiresAt` passes before it could be delivered. */
export const EXPIRED_REASON = "Expired";

/** Reads `Retry-After` (seconds or an HTTP date) as ms from now; undefined when absent or unreadable. */
export function retryAfterMs(value: string | string[] | undefined, now: number = Date.now()): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text.trim() === "") return undefined;
  if (/^\d+$/.test(text.trim())) return Number(text.trim()) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Runs `attempt` until it gives a final outcome or the retries are used: between tries it waits the answer's
 * Retry-After (when at most `maxWaitMs`; longer ends the send with `retry` and that delay) or an exponential
 * backoff with jitter (APNs and FCM docs: "retry with exponential backoff"). A wait that would pass the
 * notification's `expiresAt` ends with `failed`/EXPIRED_REASON; an aborted `signal` ends with `retry`/"aborted";
 * an aborted `control.stop` (the worker is stopping) ends a wait, or the send before its next attempt, with
 * `retry`/STOPPING_REASON (the first attempt still goes: the worker took the entry); `control.onWait` is told
 * when each wait starts and ends.
 */
export async function withRetries(
  policy: RetryPolicy,
  expiresAt: number,
  signal: AbortSignal | undefined,
  attempt: (n: number) => Promise<AttemptResult>,
  control?: SendControl,
): Promise<SendOutcome> {
  const waits = control?.stop;
  const now = policy.now ?? Date.now;
  const base = policy.baseDelayMs ?? 500;
  const max = policy.maxDelayMs ?? DEFAULT_MAX_DELAY_MS;
  const maxWait = policy.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
  for (let n = 1; ; n += 1) {
    if (signal?.aborted) return { status: "retry", reason: "aborted", attempts: n - 1 };
    if (now() >= expiresAt) return { status: "failed", reason: EXPIRED_REASON, attempts: n - 1 };
    const result = await attempt(n);
    if ("done" in result) return { ...result.done, attempts: n } as SendOutcome;
    const backoff = Math.min(max, base * 2 ** (n - 1));
    const delay = result.retryAfterMs ?? Math.round(backoff / 2 + (Math.random() * backoff) / 2);
    const retry: SendOutcome = {
      status: "retry",
      reason: result.again,
      attempts: n,
      ...(result.retryAfterMs === undefined ? {} : { retryAfterMs: result.retryAfterMs }),
    };
    if (n > policy.retries || delay > maxWait) return retry;
    if (now() + delay >= expiresAt) return { status: "failed", reason: EXPIRED_REASON, attempts: n };
    const stopping = { ...retry, reason: STOPPING_REASON };
    if (waits?.aborted) return stopping;
    control?.onWait?.(true);
    const slept = await sleep(delay, waits && signal ? AbortSignal.any([signal, waits]) : (waits ?? signal));
    control?.onWait?.(false);
    if (!slept) {
      return waits?.aborted && !signal?.aborted ? stopping : { status: "retry", reason: "aborted", attempts: n };
    }
  }
}

/** Cuts `text` to at most `maxBytes` UTF-8 bytes on a character (grapheme) boundary, ending with "…" when cut. */
export function cutBytes(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  const chars = graphemesOf(text);
  let bytes = 3; // "…"
  let out = "";
  for (const char of chars) {
    const size = Buffer.byteLength(char);
    if (bytes + size > maxBytes) break;
    bytes += size;
    out += char;
  }
  return `${out}…`;
}

/** Cuts `text` to fewer than `limit` characters (code points) on a grapheme boundary, ending with "…" when cut. */
export function cutChars(text: string, limit: number): string {
  if ([...text].length < limit) return text;
  let out = "";
  let used = 1; // "…"
  for (const part of graphemesOf(text)) {
    const size = [...part].length;
    if (used + size > limit - 1) break;
    used += size;
    out += part;
  }
  return `${out}…`;
}

/** Seconds left until `expiresAt` (at least 0), for ttl fields. */
export function secondsLeft(expiresAt: number, now: number): number {
  return Math.max(0, Math.ceil((expiresAt - now) / 1000));
}

/** Observes one provider request's duration (im_push_provider_request_duration_seconds{provider}). */
export interface ProviderMetrics {
  requestDuration?: { observe(labels: { provider: string }, seconds: number): void };
}

/** Times `run` into the provider's request histogram. */
export async function timed<T>(metrics: ProviderMetrics | undefined, provider: string, run: () => Promise<T>): Promise<T> {
  const start = performance.now();
  try {
    return await run();
  } finally {
    metrics?.requestDuration?.observe({ provider }, (performance.now() - start) / 1000);
  }
}

/**
 * Builds a provider payload from the notification's title and body, cutting the body first (then the title)
 * on character boundaries until `size(payload)` ≤ `limit` bytes, in at most four rounds (each cut takes the
 * excess plus 8 bytes for the ellipsis and escaping). Returns undefined when it still does not fit (the
 * fixed part — data, token — is too large): the send fails as PayloadTooLarge.
 */
export function fitPayload<T>(
  text: { title: string; body: string },
  limit: number,
  build: (title: string, body: string) => T,
  size: (payload: T) => number,
): T | undefined {
  let { title, body } = text;
  let payload = build(title, body);
  for (let round = 0; round < 4 && size(payload) > limit; round += 1) {
    const over = size(payload) - limit;
    const bodyBytes = Buffer.byteLength(body);
    if (bodyBytes > 0) body = cutBytes(body, Math.max(0, bodyBytes - over - 8));
    else title = cutBytes(title, Math.max(0, Buffer.byteLength(title) - over - 8));
    payload = build(title, body);
  }
  return size(payload) > limit ? undefined : payload;
}
