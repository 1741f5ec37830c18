import { isConflict, isNotFound, type KubeClient } from "../kube/client.js";
import { decideLease, type Lease } from "./lease.js";

export interface LeaderElectionOptions {
  client: KubeClient;
  namespace: string;
  name: string;
  identity: string;
  /** How long a lease is valid without renewal (client-go default 15 s). */
  leaseDurationSeconds: number;
  /** The leader gives up when it could not renew for this long (client-go default 10 s); < duration. */
  renewDeadlineSeconds: number;
  /** Pause between attempts to acquire or renew (client-go default 2 s). */
  retryPeriodSeconds: number;
  onStartedLeading: () => void;
  /** Called once when leadership is lost (renewal failed past the deadline) — not on release(). */
  onStoppedLeading: () => void;
  onNewLeader?: (identity: string) => void;
  onError?: (error: unknown) => void;
}

const leasePath = (namespace: string, name: string) =>
  `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/leases${name ? `/${encodeURIComponent(name)}` : ""}`;

/**
 * Lease-based leader election (coordination.k8s.io/v1), as client-go's leaderelection package does it:
 * candidates poll the lease every retry period; the holder renews it; a candidate takes it over only after
 * it expired; writes use optimistic concurrency (resourceVersion), so two replicas never both lead. A
 * leader that cannot renew within the renew deadline stops leading before the lease can expire, so a new
 * leader never overlaps with it.
 */
export class LeaderElector {
  private leading = false;
  private lastRenew = 0;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private lastObservedHolder = "";
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  constructor(private readonly options: LeaderElectionOptions) {}

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    this.loop ??= this.run();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      await this.attempt();
      if (this.stopped) break;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        this.timer = setTimeout(resolve, this.options.retryPeriodSeconds * 1000);
      });
    }
  }

  private async attempt(): Promise<void> {
    const { client, namespace, name, identity, leaseDurationSeconds } = this.options;
    const now = Date.now();
    try {
      let lease: Lease | undefined;
      try {
        lease = await client.get<Lease>(leasePath(namespace, name));
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
      const decision = decideLease(lease, identity, now, leaseDurationSeconds);
      if (decision.action === "wait") {
        this.observe(decision.holder);
        if (this.leading) this.lose();
        return;
      }
      if (decision.action === "create") {
        await client.request("POST", leasePath(namespace, ""), {
          body: { apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { name, namespace }, spec: decision.spec },
        });
      } else {
        await client.request("PUT", leasePath(namespace, name), {
          body: { apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: lease?.metadata, spec: decision.spec },
        });
      }
      this.lastRenew = now;
      this.observe(identity);
      if (!this.leading && !this.stopped) {
        this.leading = true;
        this.options.onStartedLeading();
      }
    } catch (error) {
      // 409: another candidate wrote first (it leads now, or the renewal raced a takeover).
      if (!isConflict(error)) this.options.onError?.(error);
      if (this.leading && (isConflict(error) || now - this.lastRenew > this.options.renewDeadlineSeconds * 1000)) this.lose();
    }
  }

  private observe(holder: string): void {
    if (holder !== this.lastObservedHolder) {
      this.lastObservedHolder = holder;
      this.options.onNewLeader?.(holder);
    }
  }

  private lose(): void {
    this.leading = false;
    this.options.onStoppedLeading();
  }

  /**
   * Stops campaigning; when leading, gives the lease up (holder cleared) so another replica takes over at
   * once instead of after the lease duration. Call after the controller stopped acting.
   */
  async release(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.wake?.();
    await this.loop;
    if (!this.leading) return;
    this.leading = false;
    const { client, namespace, name } = this.options;
    try {
      const lease = await client.get<Lease>(leasePath(namespace, name));
      if (lease.spec?.holderIdentity !== this.options.identity) return;
      await client.request("PUT", leasePath(namespace, name), {
        body: { ...lease, spec: { ...lease.spec, holderIdentity: null, renewTime: null, acquireTime: null, leaseDurationSeconds: 1 } },
      });
    } catch (error) {
      this.options.onError?.(error);
    }
  }
}
