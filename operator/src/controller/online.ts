import { clusterLabel } from "../render/metadata.js";
import type { PodView } from "./pod-view.js";
import { componentLabel } from "./pods.js";

/** The gateway's gauge of distinct users with a socket on it (apps/gateway/src/metrics.ts). */
export const onlineUsersMetric = "im_online_users";

/** Users online across one ImCluster's gateways, as last read. */
export interface OnlineReading {
  count: number;
  observedAt: Date;
}

export interface OnlineUsersOptions {
  /** Every pod the operator watches (label im.platform.io/cluster), as last seen. */
  pods(): PodView[];
  /** Seconds between two readings (OPERATOR_ONLINE_REFRESH_SECONDS). */
  intervalSeconds: number;
  /** Called when a cluster's count changed or became known or unknown, so its status is written. */
  onChange(namespace: string, name: string): void;
  /** Timeout of one scrape, in milliseconds (default 2000). */
  scrapeTimeoutMs?: number;
}

/** Sums the samples of `name` in a Prometheus text exposition (labelled or not); undefined when there is none. */
export function sumMetric(text: string, name: string): number | undefined {
  let sum: number | undefined;
  for (const line of text.split("\n")) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{[^}]*\})?\s+(\S+)/.exec(line);
    if (match?.[1] !== name) continue;
    const value = Number(match[2]);
    if (Number.isFinite(value)) sum = (sum ?? 0) + value;
  }
  return sum;
}

/** `http://<podIP>:<port>/metrics` of a ready gateway pod (its container port named http), or undefined. */
export function metricsUrl(pod: PodView): string | undefined {
  if (pod.metadata.deletionTimestamp || !pod.status?.podIP) return undefined;
  if (pod.status.conditions?.find((c) => c.type === "Ready")?.status !== "True") return undefined;
  const port = pod.spec?.containers?.flatMap((c) => c.ports ?? []).find((p) => p.name === "http")?.containerPort;
  if (port === undefined) return undefined;
  const host = pod.status.podIP.includes(":") ? `[${pod.status.podIP}]` : pod.status.podIP;
  return `http://${host}:${port}/metrics`;
}

/**
 * Reads `im_online_users` from every ready gateway pod's metrics endpoint every `intervalSeconds` and
 * keeps the sum per ImCluster (status.onlineUsers, the ONLINE column). A cluster whose gateways all fail
 * to answer keeps its last reading for 3 intervals, then becomes unknown (the field is removed): a stale
 * count is worse than none. Pods are found from the operator's pod informer, so no Service or Prometheus
 * is needed; the operator must reach the pod network (it runs in the cluster).
 */
export class OnlineUsersReader {
  private readonly readings = new Map<string, OnlineReading>();
  /** When each cluster was last queued for a status write, in epoch milliseconds. */
  private readonly notified = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly options: OnlineUsersOptions) {}

  /** The reading of one cluster, or undefined when unknown. */
  get(namespace: string, name: string): OnlineReading | undefined {
    return this.readings.get(`${namespace}/${name}`);
  }

  start(): void {
    if (this.timer) return;
    const tick = () => {
      this.running ??= this.refresh().finally(() => {
        this.running = undefined;
      });
    };
    tick();
    this.timer = setInterval(tick, this.options.intervalSeconds * 1000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One round: scrape every ready gateway pod, sum per cluster, notify the clusters whose reading changed. */
  async refresh(now: () => Date = () => new Date()): Promise<void> {
    const urls = new Map<string, string[]>();
    for (const pod of this.options.pods()) {
      const cluster = pod.metadata.labels?.[clusterLabel];
      const url = pod.metadata.labels?.[componentLabel] === "gateway" ? metricsUrl(pod) : undefined;
      if (!cluster || !url) continue;
      const key = `${pod.metadata.namespace ?? ""}/${cluster}`;
      urls.set(key, [...(urls.get(key) ?? []), url]);
    }
    const timeout = this.options.scrapeTimeoutMs ?? 2000;
    const keys = new Set([...urls.keys(), ...this.readings.keys()]);
    await Promise.all(
      [...keys].map(async (key) => {
        const counts = await Promise.all((urls.get(key) ?? []).map((url) => scrapeOnline(url, timeout)));
        const answered = counts.filter((c): c is number => c !== undefined);
        const total = answered.reduce((a, b) => a + b, 0);
        const before = this.readings.get(key);
        const at = now();
        if (answered.length > 0 && Number.isSafeInteger(total)) {
          this.readings.set(key, { count: total, observedAt: at });
        } else if (before && at.getTime() - before.observedAt.getTime() >= 3 * this.options.intervalSeconds * 1000) {
          this.readings.delete(key);
        }
        const after = this.readings.get(key);
        // A changed count is written at once; an unchanged one every 10 intervals (onlineUsersObservedAt stays fresh
        // without a status write, and a reconcile, on every reading).
        const due =
          before && after && after.observedAt.getTime() - (this.notified.get(key) ?? 0) >= 10 * this.options.intervalSeconds * 1000;
        if (before?.count !== after?.count || due) {
          this.notified.set(key, after?.observedAt.getTime() ?? 0);
          const [namespace = "", name = ""] = key.split("/");
          this.options.onChange(namespace, name);
        }
      }),
    );
  }
}

async function scrapeOnline(url: string, timeoutMs: number): Promise<number | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) return undefined;
    // A count of users is a non-negative integer; anything else (2.5, -3, 1e30) is no reading: status.onlineUsers
    // is an int64 with minimum 0, and one value the API server refuses would fail the whole status write.
    const text = await boundedText(response, maxMetricsBytes);
    if (text === undefined) return undefined;
    const sum = sumMetric(text, onlineUsersMetric);
    return sum !== undefined && Number.isSafeInteger(sum) && sum >= 0 ? sum : undefined;
  } catch {
    return undefined;
  }
}

/** A gateway's /metrics is a few KiB; a body past this is no reading (an endless one must not fill the operator's memory). */
export const maxMetricsBytes = 4 * 1024 * 1024;

/** The body as text, or undefined (and the rest cancelled) once it passes `limit` bytes. */
async function boundedText(response: Response, limit: number): Promise<string | undefined> {
  if (!response.body) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}
