import { KubeApiError, type KubeClient } from "../kube/client.js";
import { type ChildKind, childKinds } from "../render/child-kinds.js";

/** Shortest pause between two discoveries asked for by reconciles (a kind not served is asked for at every reconcile). */
export const discoveryMinIntervalMs = 10_000;

/** Which child kinds the API server serves, read from its discovery documents (/api/v1, /apis/<group>/<version>). */
export async function servedChildKinds(client: KubeClient): Promise<Set<string>> {
  const served = new Set<string>();
  const byVersion = new Map<string, ChildKind[]>();
  for (const child of childKinds) byVersion.set(child.apiVersion, [...(byVersion.get(child.apiVersion) ?? []), child]);
  for (const [apiVersion, kinds] of byVersion) {
    try {
      const list = await client.get<{ resources: Array<{ name: string }> }>(
        apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`,
      );
      for (const child of kinds) if (list.resources.some((r) => r.name === child.resource)) served.add(child.kind);
    } catch (error) {
      // 404: the group/version is not served at all (no such CRD installed).
      if (!(error instanceof KubeApiError && error.status === 404)) throw error;
    }
  }
  return served;
}

export interface DiscoveryOptions {
  client: KubeClient;
  /** Periodic refresh (OPERATOR_DISCOVERY_REFRESH_SECONDS). */
  refreshSeconds: number;
  /** Called with the kinds that became served since the last discovery, before they count as served (start their informers). */
  onNewlyServed: (kinds: string[]) => Promise<void>;
  /** Called once newly served kinds count as served (queue the clusters, so they apply them). */
  onServedChanged: () => void;
  onError: (error: unknown) => void;
}

/**
 * The optional-kinds view (ServiceMonitor needs the Prometheus Operator's CRD, usually installed after this
 * operator): discovery at start, every refreshSeconds, and at once when a reconcile needs a kind that is not
 * served (throttled to one per discoveryMinIntervalMs). A kind served once stays served for this leader's life
 * (its informer keeps running; a removed CRD ends in failed applies, reported as ApplyFailed).
 */
export class Discovery {
  private served = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private lastRun = 0;
  private running: Promise<void> | undefined;
  private trailing: NodeJS.Timeout | undefined;

  constructor(private readonly options: DiscoveryOptions) {}

  get kinds(): ReadonlySet<string> {
    return this.served;
  }

  /** First discovery; throws when the API server cannot be read (the controller does not start). */
  async start(): Promise<ReadonlySet<string>> {
    this.served = await servedChildKinds(this.options.client);
    this.lastRun = Date.now();
    this.timer = setInterval(() => void this.refresh(), this.options.refreshSeconds * 1000);
    this.timer.unref();
    return this.served;
  }

  /**
   * A reconcile needs a kind not served: discover again now, or, when a discovery ran in the last 10 s, once
   * those 10 s are over (one pending discovery however many reconciles ask).
   */
  requestRefresh(): void {
    const wait = this.lastRun + discoveryMinIntervalMs - Date.now();
    if (wait <= 0) {
      void this.refresh();
      return;
    }
    if (this.trailing) return;
    this.trailing = setTimeout(() => {
      this.trailing = undefined;
      void this.refresh();
    }, wait);
    this.trailing.unref();
  }

  /** Discovers once (concurrent calls share the run); newly served kinds go to onNewlyServed. */
  refresh(): Promise<void> {
    this.running ??= (async () => {
      this.lastRun = Date.now();
      try {
        const now = await servedChildKinds(this.options.client);
        const added = [...now].filter((kind) => !this.served.has(kind));
        if (added.length === 0) return;
        await this.options.onNewlyServed(added);
        this.served = new Set([...this.served, ...added]);
        this.options.onServedChanged();
      } catch (error) {
        this.options.onError(error);
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  stop(): void {
    clearInterval(this.timer);
    clearTimeout(this.trailing);
  }
}
