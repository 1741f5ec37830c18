import type { Logger } from "@im/telemetry";
import { apiVersion as imApiVersion, kind as imKind } from "../crd/constants.js";
import { KubeApiError, type KubeClient } from "../kube/client.js";
import { collectionPath } from "../kube/paths.js";
import type { OperatorMetrics } from "../metrics.js";
import { type ChildKind, childKinds } from "../render/child-kinds.js";
import type { KubeObject } from "../render/kube-object.js";
import { clusterLabel } from "../render/metadata.js";
import { Informer } from "../runtime/informer.js";
import { WorkQueue } from "../runtime/work-queue.js";
import { childResource, clusterResource, type RawCluster, reconcile } from "./reconcile.js";

export interface ControllerOptions {
  client: KubeClient;
  logger: Logger;
  metrics: OperatorMetrics;
  /** "" for all namespaces. */
  watchNamespace: string;
  concurrency: number;
  resyncSeconds: number;
  /** Seconds between two one-pod steps down of a gateway Deployment (OPERATOR_SCALE_DOWN_STEP_SECONDS). */
  scaleDownStepSeconds?: number;
  dashboards: () => Record<string, string>;
}

const keyOf = (namespace: string | undefined, name: string | undefined) => `${namespace ?? ""}/${name ?? ""}`;

/**
 * The ImCluster controller: an informer on ImClusters and one per child kind (label-selected), all feeding
 * one work queue of cluster keys; a change to any child queues its owner, so a deleted or edited child is
 * restored and a Deployment's readiness reaches the status. Runs only while this replica leads.
 */
export class Controller {
  private readonly queue: WorkQueue;
  private readonly clusters: Informer<RawCluster>;
  private readonly children = new Map<string, Informer<KubeObject>>();
  private served = new Set<string>();
  private resync: NodeJS.Timeout | undefined;

  constructor(private readonly options: ControllerOptions) {
    const { client, metrics, logger } = options;
    this.queue = new WorkQueue(
      (key) => {
        const [namespace = "", name = ""] = key.split("/");
        return reconcile(
          {
            client,
            getCluster: (ns, n) => this.clusters.get(ns, n),
            listChildren: (kind, ns, clusterName) => this.childrenOf(kind, ns, clusterName),
            servedKinds: () => this.served,
            dashboards: options.dashboards,
            scaleDownStepSeconds: options.scaleDownStepSeconds ?? 60,
            // Wired to the pod and Secret informers and the gateway metrics reader (issue 13).
            listPods: () => [],
            secretVersions: () => new Map(),
            onlineUsers: () => undefined,
            now: () => new Date(),
          },
          namespace,
          name,
        );
      },
      {
        concurrency: options.concurrency,
        onProcessed: (key, outcome, seconds, error) => {
          metrics.reconciles.inc({ outcome });
          metrics.reconcileSeconds.observe(seconds);
          if (error) logger.warn({ key, err: error, failures: this.queue.failuresOf(key) }, "reconcile failed; retrying with backoff");
          else logger.debug({ key, outcome, seconds }, "reconciled");
        },
      },
    );
    const namespace = options.watchNamespace || undefined;
    this.clusters = new Informer<RawCluster>({
      client,
      path: collectionPath(clusterResource, namespace),
      apiVersion: imApiVersion,
      kind: imKind,
      onEvent: (_type, object) => this.queue.add(keyOf(object.metadata.namespace, object.metadata.name)),
      onRestart: (reason, error) => this.restarted("imclusters", reason, error),
    });
  }

  get queueDepth(): number {
    return this.queue.depth;
  }

  get clusterCount(): number {
    return this.clusters.list().length;
  }

  private restarted(resource: string, reason: "closed" | "gone" | "error", error?: unknown): void {
    this.options.metrics.watchRestarts.inc({ resource, reason });
    if (reason !== "closed")
      this.options.logger.info({ resource, reason, err: error }, reason === "gone" ? "watch expired; relisting" : "watch failed; retrying");
  }

  private childrenOf(kind: ChildKind, namespace: string, clusterName: string): KubeObject[] {
    return (this.children.get(kind.kind)?.list() ?? []).filter(
      (o) => o.metadata.namespace === namespace && o.metadata.labels?.[clusterLabel] === clusterName,
    );
  }

  /** Which child kinds the API server serves (the ServiceMonitor CRD is optional). */
  private async discover(): Promise<Set<string>> {
    const served = new Set<string>();
    for (const child of childKinds) {
      try {
        const list = await this.options.client.get<{ resources: Array<{ name: string }> }>(
          child.apiVersion.includes("/") ? `/apis/${child.apiVersion}` : `/api/${child.apiVersion}`,
        );
        if (list.resources.some((r) => r.name === child.resource)) served.add(child.kind);
      } catch (error) {
        if (!(error instanceof KubeApiError && error.status === 404)) throw error;
      }
    }
    return served;
  }

  async start(): Promise<void> {
    this.served = await this.discover();
    const skipped = childKinds.filter((c) => !this.served.has(c.kind)).map((c) => c.kind);
    if (skipped.length > 0) this.options.logger.info({ skipped }, "child kinds not served by this cluster are skipped");
    const namespace = this.options.watchNamespace || undefined;
    for (const child of childKinds.filter((c) => this.served.has(c.kind))) {
      const informer = new Informer<KubeObject>({
        client: this.options.client,
        path: collectionPath(childResource(child), namespace),
        apiVersion: child.apiVersion,
        kind: child.kind,
        labelSelector: clusterLabel,
        onEvent: (_type, object) => {
          const owner = object.metadata.ownerReferences?.find((ref) => ref.kind === imKind && ref.apiVersion === imApiVersion);
          if (owner) this.queue.add(keyOf(object.metadata.namespace, owner.name));
        },
        onRestart: (reason, error) => this.restarted(child.resource, reason, error),
      });
      this.children.set(child.kind, informer);
      informer.start();
    }
    // Children first, so the first reconciles see what exists and prune correctly.
    await Promise.all([...this.children.values()].map((i) => i.synced));
    this.clusters.start();
    await this.clusters.synced;
    this.resync = setInterval(() => {
      for (const cluster of this.clusters.list()) this.queue.add(keyOf(cluster.metadata.namespace, cluster.metadata.name));
    }, this.options.resyncSeconds * 1000);
    this.resync.unref();
  }

  /** Stops watching and waits for the reconciles in flight (graceful shutdown, or leadership lost). */
  async stop(): Promise<void> {
    clearInterval(this.resync);
    await this.queue.shutDown();
    await Promise.all([this.clusters.stop(), ...[...this.children.values()].map((i) => i.stop())]);
  }
}
