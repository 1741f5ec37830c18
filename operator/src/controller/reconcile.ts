import { apiVersion as imApiVersion, operatorName, plural } from "../crd/constants.js";
import { isNotFound, KubeApiError, type KubeClient } from "../kube/client.js";
import { collectionPath, objectPath, type ResourceRef } from "../kube/paths.js";
import { type ChildKind, childKinds } from "../render/child-kinds.js";
import { activeComponents, type ComponentDefinition, componentList } from "../render/components.js";
import type { KubeObject } from "../render/kube-object.js";
import { clusterLabel } from "../render/metadata.js";
import { isHibernating, render } from "../render/render.js";
import { type ReconcileResult, requeueAfter } from "../runtime/requeue.js";
import { type ImCluster, imClusterSchema } from "../spec/imcluster.js";
import { planShardChange } from "../spec/shard-plan.js";
import { type ImClusterStatus, imClusterStatusSchema } from "../spec/status.js";
import { changedConditions, eventType, recordEvent } from "./events.js";
import type { PodView } from "./pod-view.js";
import { ReplicaHandover } from "./replicas.js";
import { computeStatus, type DeploymentView } from "./status.js";

export const finalizer = "im.platform.io/cleanup";
export const clusterResource: ResourceRef = { apiVersion: imApiVersion, resource: plural, namespaced: true };
export const childResource = (child: ChildKind): ResourceRef => ({
  apiVersion: child.apiVersion,
  resource: child.resource,
  namespaced: true,
});

/** An ImCluster as read from the API server, before validation. */
export interface RawCluster extends KubeObject {
  metadata: KubeObject["metadata"] & { resourceVersion?: string; deletionTimestamp?: string; finalizers?: string[]; generation?: number };
  spec?: unknown;
  status?: unknown;
}

/** What reconcile reads and writes through; the controller provides informer caches and the client. */
export interface ReconcileDeps {
  client: KubeClient;
  /** The ImCluster as last seen by the informer (undefined: gone). */
  getCluster(namespace: string, name: string): RawCluster | undefined;
  /** Children of this kind in the namespace labelled for the cluster, as last seen. */
  listChildren(kind: ChildKind, namespace: string, clusterName: string): KubeObject[];
  /** Child kinds the API server serves (ServiceMonitor needs the Prometheus Operator's CRD). */
  servedKinds(): ReadonlySet<string>;
  dashboards(): Record<string, string>;
  /** Pods labelled for the cluster (im.platform.io/cluster=<name>) in the namespace, as last seen. */
  listPods(namespace: string, clusterName: string): PodView[];
  /** resourceVersion of each Secret in the namespace by name (watched as metadata only), as last seen. */
  secretVersions(namespace: string): ReadonlyMap<string, string>;
  /** Users online across the cluster's gateways as last read, or undefined when not known. */
  onlineUsers(namespace: string, name: string): { count: number; observedAt: Date } | undefined;
  now(): Date;
  /** Seconds between two one-pod steps down of a paced (gateway) Deployment; default 60 (controller/replicas.ts). */
  scaleDownStepSeconds?: number;
}

const ownedBy = (object: KubeObject, uid: string | undefined) => object.metadata.ownerReferences?.some((ref) => ref.uid === uid) ?? false;

/** Reads status.shardLayout even from a status that no longer parses, so a shard change is never allowed by accident. */
function previousStatus(raw: unknown): ImClusterStatus | undefined {
  const parsed = imClusterStatusSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const shards = (raw as { shardLayout?: { messageShards?: unknown; since?: unknown } } | undefined)?.shardLayout;
  if (typeof shards?.messageShards === "number" && typeof shards.since === "string") {
    return { shardLayout: { messageShards: shards.messageShards, since: shards.since } };
  }
  return undefined;
}

/**
 * One reconcile of one ImCluster: validate, ensure the finalizer, render the desired children, apply each
 * with server-side apply (field manager im-operator, so edits to fields it owns are taken back), prune the
 * children it no longer wants, and write the status through the status subresource. On deletion it
 * deletes every child (the finalizer keeps the ImCluster until they are gone) and releases it.
 */
export async function reconcile(deps: ReconcileDeps, namespace: string, name: string): Promise<ReconcileResult> {
  const raw = deps.getCluster(namespace, name);
  if (!raw) return undefined;
  if (raw.metadata.deletionTimestamp) return finalize(deps, raw);
  if (!raw.metadata.finalizers?.includes(finalizer)) {
    await deps.client.mergePatch(objectPath(clusterResource, name, namespace), {
      metadata: { finalizers: [...(raw.metadata.finalizers ?? []), finalizer], resourceVersion: raw.metadata.resourceVersion },
    });
    // The update comes back through the watch and queues this cluster again.
    return undefined;
  }

  const previous = previousStatus(raw.status);
  const current = previous?.shardLayout?.messageShards;
  const parsed = imClusterSchema.safeParse({ ...raw, status: undefined });
  const notes: string[] = [];
  let failure: { reason: string; message: string } | undefined;
  let shardPlan = planShardChange(current, current ?? 1);
  // Status covers the components the spec runs (an invalid spec: those that always run).
  let running: ComponentDefinition[] = componentList.filter((component) => !component.runsWhen);
  let next: ReconcileResult;
  if (!parsed.success) {
    // Nothing is applied and nothing retried until the spec changes (the watch brings that change).
    failure = {
      reason: "InvalidSpec",
      message: parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; "),
    };
  } else {
    const cluster: ImCluster = { ...parsed.data, status: previous };
    running = activeComponents(cluster.spec);
    shardPlan = planShardChange(current, cluster.spec.messageShards, cluster.spec.messageShardsMigration);
    try {
      next = await applyChildren(deps, cluster, raw, notes);
    } catch (error) {
      failure = { reason: "ApplyFailed", message: error instanceof Error ? error.message : String(error) };
    }
  }

  await writeStatus(deps, raw, previous, {
    generation: raw.metadata.generation ?? 0,
    previous,
    components: running,
    deployments: deploymentsOf(deps, raw, running),
    shardPlan,
    failure,
    notes,
    now: deps.now(),
  });
  // Retried with backoff by the work queue; the status already says why.
  if (failure && failure.reason !== "InvalidSpec") throw new Error(failure.message);
  return next;
}

/**
 * Server-side applies every rendered child the API server serves (Deployments through the replica plan of
 * controller/replicas.ts), then prunes owned children no longer rendered. Returns the requeue of a paced scale-down.
 */
async function applyChildren(deps: ReconcileDeps, cluster: ImCluster, raw: RawCluster, notes: string[]): Promise<ReconcileResult> {
  const { name, namespace = "" } = raw.metadata;
  const served = deps.servedKinds();
  const desired = render(cluster, cluster.spec.observability.dashboards.enabled ? { dashboards: deps.dashboards() } : {});
  const kindOf = (kind: string) => childKinds.find((c) => c.kind === kind) as ChildKind;
  const replicas = new ReplicaHandover({
    client: deps.client,
    desired,
    liveDeployments: deps.listChildren(kindOf("Deployment"), namespace, name),
    liveAutoscalers: served.has("HorizontalPodAutoscaler") ? deps.listChildren(kindOf("HorizontalPodAutoscaler"), namespace, name) : [],
    paced: new Set(
      activeComponents(cluster.spec)
        .filter((c) => c.scaleDown)
        .map((c) => `${name}-${c.name}`),
    ),
    hibernating: isHibernating(cluster),
    now: deps.now(),
    stepSeconds: deps.scaleDownStepSeconds ?? 60,
  });
  const wanted = new Set<string>();
  for (const object of desired) {
    const child = childKinds.find((c) => c.kind === object.kind && c.apiVersion === object.apiVersion);
    if (!child) throw new Error(`render produced ${object.apiVersion} ${object.kind}, which is not a child kind`);
    if (!served.has(child.kind)) {
      notes.push(`${object.kind} ${object.metadata.name} skipped: ${child.apiVersion} is not served by this cluster`);
      continue;
    }
    wanted.add(`${object.kind}/${object.metadata.name}`);
    const path = objectPath(childResource(child), object.metadata.name, namespace);
    if (object.kind === "Deployment") await replicas.apply(path, object);
    else await deps.client.apply(path, object, operatorName, true);
  }
  for (const child of childKinds) {
    if (!served.has(child.kind)) continue;
    for (const existing of deps.listChildren(child, namespace, name)) {
      if (wanted.has(`${child.kind}/${existing.metadata.name}`) || !ownedBy(existing, raw.metadata.uid)) continue;
      await deleteIgnoringMissing(deps.client, objectPath(childResource(child), existing.metadata.name, namespace));
    }
  }
  return replicas.requeue();
}

function deploymentsOf(
  deps: ReconcileDeps,
  raw: RawCluster,
  running: readonly ComponentDefinition[],
): Record<string, DeploymentView | undefined> {
  const deployment = childKinds.find((c) => c.kind === "Deployment") as ChildKind;
  const namespace = raw.metadata.namespace ?? "";
  const found = deps.listChildren(deployment, namespace, raw.metadata.name).filter((d) => ownedBy(d, raw.metadata.uid));
  return Object.fromEntries(
    running.map((component) => [
      component.name,
      found.find((d) => d.metadata.name === `${raw.metadata.name}-${component.name}`) as DeploymentView | undefined,
    ]),
  );
}

async function writeStatus(
  deps: ReconcileDeps,
  raw: RawCluster,
  previous: ImClusterStatus | undefined,
  inputs: Parameters<typeof computeStatus>[0],
): Promise<void> {
  const status = computeStatus(inputs);
  // Unchanged status: no write, so the status update does not wake this cluster up again and again.
  if (JSON.stringify(status) === JSON.stringify(previous)) return;
  // A merge patch keeps map keys it does not mention: a component that no longer runs (upload without
  // object storage) is removed with an explicit null.
  const gone = Object.keys(previous?.components ?? {}).filter((component) => !(component in (status.components ?? {})));
  const patch =
    gone.length > 0 ? { ...status, components: { ...Object.fromEntries(gone.map((c) => [c, null])), ...status.components } } : status;
  await deps.client.mergePatch(`${objectPath(clusterResource, raw.metadata.name, raw.metadata.namespace)}/status`, { status: patch });
  for (const condition of changedConditions(previous?.conditions, status.conditions)) {
    await recordEvent(
      deps.client,
      raw,
      eventType(condition),
      condition.reason,
      `${condition.type}=${condition.status}: ${condition.message}`,
    );
  }
}

async function deleteIgnoringMissing(client: KubeClient, path: string): Promise<void> {
  try {
    await client.delete(path, { propagationPolicy: "Background" });
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}

/** Deletes every child of a cluster being deleted, then removes the finalizer once none is left. */
async function finalize(deps: ReconcileDeps, raw: RawCluster): Promise<ReconcileResult> {
  if (!raw.metadata.finalizers?.includes(finalizer)) return undefined;
  const namespace = raw.metadata.namespace ?? "";
  const served = deps.servedKinds();
  let remaining = 0;
  for (const child of childKinds) {
    if (!served.has(child.kind)) continue;
    const resource = childResource(child);
    // Listed from the API server, not the cache: the finalizer must not be released while a child remains.
    const listed = await deps.client.get<{ items: KubeObject[] }>(collectionPath(resource, namespace), {
      labelSelector: `${clusterLabel}=${raw.metadata.name}`,
    });
    for (const existing of listed.items.filter((o) => ownedBy(o, raw.metadata.uid))) {
      remaining++;
      await deleteIgnoringMissing(deps.client, objectPath(resource, existing.metadata.name, namespace));
    }
  }
  if (remaining > 0) return requeueAfter(1_000, `waiting for ${remaining} child objects to be deleted`);
  try {
    await deps.client.mergePatch(objectPath(clusterResource, raw.metadata.name, namespace), {
      metadata: {
        finalizers: (raw.metadata.finalizers ?? []).filter((f) => f !== finalizer),
        resourceVersion: raw.metadata.resourceVersion,
      },
    });
  } catch (error) {
    // Already gone: nothing left to release.
    if (!(error instanceof KubeApiError && error.status === 404)) throw error;
  }
  return undefined;
}
