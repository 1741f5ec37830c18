import type { Logger } from "@im/telemetry";
import { apiVersion as imApiVersion, kind as imKind } from "../crd/constants.js";
import type { KubeClient } from "../kube/client.js";
import { collectionPath } from "../kube/paths.js";
import type { OperatorMetrics } from "../metrics.js";
import { type ChildKind, childKinds } from "../render/child-kinds.js";
import type { KubeObject } from "../render/kube-object.js";
import { clusterLabel } from "../render/metadata.js";
import type { Watched } from "../runtime/informer.js";
import { InformerSet } from "../runtime/informer-set.js";
import { WorkQueue } from "../runtime/work-queue.js";
import { Discovery } from "./discovery.js";
import { OnlineUsersReader } from "./online.js";
import type { PodView } from "./pod-view.js";
import { childResource, clusterResource, type RawCluster, reconcile } from "./reconcile.js";
import { referencedSecrets } from "./secrets.js";

export interface ControllerOptions {
  client: KubeClient;
  logger: Logger;
  metrics: OperatorMetrics;
  /** Namespaces whose ImClusters are reconciled; [] for all namespaces (config.ts watchNamespaces). */
  watchNamespaces: readonly string[];
  concurrency: number;
  resyncSeconds: number;
  /** How often optional kinds are discovered again (OPERATOR_DISCOVERY_REFRESH_SECONDS). */
  discoveryRefreshSeconds: number;
  /** Seconds between two one-pod steps down of a gateway Deployment (OPERATOR_SCALE_DOWN_STEP_SECONDS). */
  scaleDownStepSeconds?: number;
  dashboards: () => Record<string, string>;
  /** Seconds between two readings of the gateways' online users (OPERATOR_ONLINE_REFRESH_SECONDS; default 30). */
  onlineRefreshSeconds?: number;
}

const keyOf = (namespace: string | undefined, name: string | undefined) => `${namespace ?? ""}/${name ?? ""}`;
const secretsResource = { apiVersion: "v1", resource: "secrets", namespaced: true };
const podsResource = { apiVersion: "v1", resource: "pods", namespaced: true };

/**
 * The ImCluster controller: informers (per watched namespace, or cluster-wide) on ImClusters, on each served
 * child kind (label-selected) and on Secrets (metadata only), all feeding one work queue of cluster keys. A
 * change to a child queues its owner, so a deleted or edited child is restored and a Deployment's readiness
 * reaches the status; a changed Secret queues the clusters whose Deployments read it, so they roll. Optional
 * kinds are discovered again periodically: a kind that becomes served gets its informer and its clusters are
 * queued. Runs only while this replica leads.
 */
export class Controller {
  private readonly queue: WorkQueue;
  private readonly clusters: InformerSet<RawCluster>;
  private readonly secrets: InformerSet<Watched>;
  private readonly children = new Map<string, InformerSet<KubeObject>>();
  private readonly discovery: Discovery;
  private readonly pods: InformerSet<PodView>;
  private readonly online: OnlineUsersReader;
  private resync: NodeJS.Timeout | undefined;

  constructor(private readonly options: ControllerOptions) {
    const { client, metrics, logger } = options;
    this.discovery = new Discovery({
      client,
      refreshSeconds: options.discoveryRefreshSeconds,
      onNewlyServed: async (kinds) => {
        logger.info({ kinds }, "child kinds now served: watching them");
        await Promise.all(childKinds.filter((c) => kinds.includes(c.kind)).map((c) => this.watchChildren(c)));
      },
      onServedChanged: () => this.queueAll(),
      onError: (error) => logger.warn({ err: error }, "discovery failed; retrying at the next refresh"),
    });
    this.queue = new WorkQueue(
      (key) => {
        const [namespace = "", name = ""] = key.split("/");
        return reconcile(
          {
            client,
            getCluster: (ns, n) => this.clusters.get(ns, n),
            listChildren: (kind, ns, clusterName) => this.childrenOf(kind, ns, clusterName),
            servedKinds: () => this.discovery.kinds,
            requestDiscovery: () => this.discovery.requestRefresh(),
            dashboards: options.dashboards,
            scaleDownStepSeconds: options.scaleDownStepSeconds ?? 60,
            listPods: (ns, clusterName) => this.pods.list(ns).filter((p) => p.metadata.labels?.[clusterLabel] === clusterName),
            secretVersions: (ns) =>
              new Map(this.secrets.list(ns).map((s) => [s.metadata.name ?? "", s.metadata.resourceVersion ?? ""] as const)),
            onlineUsers: (ns, n) => this.online.get(ns, n),
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
          if (outcome === "error") {
            const [namespace = "", name = ""] = key.split("/");
            metrics.reconcileErrors.inc({ namespace, name });
          }
          metrics.reconcileSeconds.observe(seconds);
          if (error) logger.warn({ key, err: error, failures: this.queue.failuresOf(key) }, "reconcile failed; retrying with backoff");
          else logger.debug({ key, outcome, seconds }, "reconciled");
        },
      },
    );
    this.clusters = new InformerSet<RawCluster>(options.watchNamespaces, (ns) => collectionPath(clusterResource, ns), {
      client,
      apiVersion: imApiVersion,
      kind: imKind,
      onEvent: (_type, object) => this.queue.add(keyOf(object.metadata.namespace, object.metadata.name)),
      onRestart: (reason, error) => this.restarted("imclusters", reason, error),
    });
    this.secrets = new InformerSet<Watched>(options.watchNamespaces, (ns) => collectionPath(secretsResource, ns), {
      client,
      apiVersion: "v1",
      kind: "Secret",
      metadataOnly: true,
      onEvent: (_type, secret) => this.secretChanged(secret),
      onRestart: (reason, error) => this.restarted("secrets", reason, error),
    });
    // Pods are not owned by the ImCluster; their cluster label names it. Read only: problems and online users.
    this.pods = new InformerSet<PodView>(options.watchNamespaces, (ns) => collectionPath(podsResource, ns), {
      client,
      apiVersion: "v1",
      kind: "Pod",
      labelSelector: clusterLabel,
      onEvent: (_type, pod) => {
        const cluster = pod.metadata.labels?.[clusterLabel];
        if (cluster) this.queue.add(keyOf(pod.metadata.namespace, cluster));
      },
      onRestart: (reason, error) => this.restarted("pods", reason, error),
    });
    this.online = new OnlineUsersReader({
      pods: () => this.pods.list(),
      intervalSeconds: options.onlineRefreshSeconds ?? 30,
      onChange: (ns, n) => this.queue.add(keyOf(ns, n)),
    });
  }

  /** Each ImCluster's status as last seen (the per-ImCluster metrics read it at scrape time). */
  clusterStatuses(): Array<{ namespace: string; name: string; status: unknown }> {
    return this.clusters.list().map((c) => ({ namespace: c.metadata.namespace ?? "", name: c.metadata.name, status: c.status }));
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
    return (this.children.get(kind.kind)?.list(namespace) ?? []).filter((o) => o.metadata.labels?.[clusterLabel] === clusterName);
  }

  /** A Secret was added, changed or deleted: queue the clusters whose Deployments read it (they roll, or report it missing). */
  private secretChanged(secret: Watched): void {
    const namespace = secret.metadata.namespace ?? "";
    const deployments = this.children.get("Deployment")?.list(namespace) ?? [];
    for (const deployment of deployments) {
      if (!referencedSecrets(deployment).includes(secret.metadata.name ?? "")) continue;
      const cluster = deployment.metadata.labels?.[clusterLabel];
      if (cluster) this.queue.add(keyOf(namespace, cluster));
    }
  }

  private queueAll(): void {
    for (const cluster of this.clusters.list()) this.queue.add(keyOf(cluster.metadata.namespace, cluster.metadata.name));
  }

  /** Starts the label-selected informer of one child kind and waits until it has listed. */
  private async watchChildren(child: ChildKind): Promise<void> {
    if (this.children.has(child.kind)) return;
    const informers = new InformerSet<KubeObject>(this.options.watchNamespaces, (ns) => collectionPath(childResource(child), ns), {
      client: this.options.client,
      apiVersion: child.apiVersion,
      kind: child.kind,
      labelSelector: clusterLabel,
      onEvent: (_type, object) => {
        const owner = object.metadata.ownerReferences?.find((ref) => ref.kind === imKind && ref.apiVersion === imApiVersion);
        if (owner) this.queue.add(keyOf(object.metadata.namespace, owner.name));
      },
      onRestart: (reason, error) => this.restarted(child.resource, reason, error),
    });
    this.children.set(child.kind, informers);
    await informers.start();
  }

  async start(): Promise<void> {
    const served = await this.discovery.start();
    const skipped = childKinds.filter((c) => !served.has(c.kind)).map((c) => c.kind);
    if (skipped.length > 0) this.options.logger.info({ skipped }, "child kinds not served by this cluster are skipped until they are");
    // Children, pods and Secrets first, so the first reconciles see what exists, prune correctly, report pod
    // problems and hash the right Secret versions.
    await Promise.all([
      ...childKinds.filter((c) => served.has(c.kind)).map((c) => this.watchChildren(c)),
      this.pods.start(),
      this.secrets.start(),
    ]);
    this.online.start();
    await this.clusters.start();
    this.resync = setInterval(() => this.queueAll(), this.options.resyncSeconds * 1000);
    this.resync.unref();
  }

  /** Stops watching and waits for the reconciles in flight (graceful shutdown, or leadership lost). */
  async stop(): Promise<void> {
    clearInterval(this.resync);
    this.discovery.stop();
    await this.online.stop();
    await this.queue.shutDown();
    await Promise.all([this.clusters.stop(), this.pods.stop(), this.secrets.stop(), ...[...this.children.values()].map((i) => i.stop())]);
  }
}
