import {
  annotationIs,
  hibernationAnnotation,
  apiVersion as imApiVersion,
  operatorName,
  pauseAnnotation,
  plural,
} from "../crd/constants.js";
import { isNotFound, KubeApiError, type KubeClient } from "../kube/client.js";
import { objectPath, type ResourceRef } from "../kube/paths.js";
import { type ChildKind, childKinds } from "../render/child-kinds.js";
import { activeComponents, type ComponentDefinition, type ComponentSpecView, componentList } from "../render/components.js";
import type { KubeObject } from "../render/kube-object.js";
import { selectorLabels } from "../render/metadata.js";
import { render } from "../render/render.js";
import type { ReconcileResult } from "../runtime/requeue.js";
import { type ImCluster, imClusterSchema } from "../spec/imcluster.js";
import { planShardChange } from "../spec/shard-plan.js";
import { type ImClusterStatus, imClusterStatusSchema } from "../spec/status.js";
import { recordStatusEvents } from "./events.js";
import type { PodView } from "./pod-view.js";
import { ReplicaHandover } from "./replicas.js";
import { hashedSecretVersions, missingSecrets } from "./secrets.js";
import { readShardLayoutRecord, recordShardLayout, shardLayoutRecordAnnotation, shardLayoutRecordName } from "./shard-layout.js";
import { computeStatus, type DeploymentView, type HpaView, mergePatchOf, type StatusInputs } from "./status.js";

/**
 * The finalizer older operator versions put on every ImCluster. Children are deleted by Kubernetes' garbage
 * collector through their controller ownerReferences now (so `--cascade=orphan` orphans them and a delete needs
 * no running operator); the operator removes this finalizer wherever it still finds it (upgrade path).
 */
export const legacyFinalizer = "im.platform.io/cleanup";
export const clusterResource: ResourceRef = { apiVersion: imApiVersion, resource: plural, namespaced: true };
export const childResource = (child: ChildKind): ResourceRef => ({
  apiVersion: child.apiVersion,
  resource: child.resource,
  namespaced: true,
});

/** An ImCluster as read from the API server, before validation. */
export interface RawCluster extends KubeObject {
  metadata: KubeObject["metadata"] & {
    resourceVersion?: string;
    deletionTimestamp?: string;
    finalizers?: string[];
    generation?: number;
    annotations?: Record<string, string>;
  };
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
  /** A requested kind is not served: discover again soon (throttled by the controller). */
  requestDiscovery?(): void;
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

/**
 * A child this operator made for an earlier ImCluster of the same name and left behind by `kubectl delete
 * --cascade=orphan` (no controller owner left): the new ImCluster takes over those it wants by applying them and
 * prunes the rest (an orphaned autoscaler would otherwise hold its Deployment's count for ever). The shard-layout
 * record, which has no owner by design, is never one.
 */
const orphanedChild = (object: KubeObject) =>
  !(object.metadata.ownerReferences ?? []).some((ref) => ref.controller) &&
  object.metadata.labels?.["app.kubernetes.io/managed-by"] === operatorName &&
  object.metadata.annotations?.[shardLayoutRecordAnnotation] === undefined;

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
 * One reconcile of one ImCluster: release the legacy finalizer, validate, render the desired children, apply
 * each with server-side apply (field manager im-operator, so edits to fields it owns are taken back; one
 * refused child does not keep the others from being applied), prune the children it no longer wants, write
 * the status through the status subresource and record the shard layout in force. A cluster being deleted is
 * left to the garbage collector; a paused one (pauseAnnotation "true") only gets its status.
 * Throws (the work queue retries with backoff) when a child could not be applied.
 */
export async function reconcile(deps: ReconcileDeps, namespace: string, name: string): Promise<ReconcileResult> {
  const raw = deps.getCluster(namespace, name);
  if (!raw) return undefined;
  if (raw.metadata.finalizers?.includes(legacyFinalizer)) return releaseLegacyFinalizer(deps, raw);
  // Children go with their ownerReferences (background, foreground) or stay (orphan): not the operator's call.
  if (raw.metadata.deletionTimestamp) return undefined;
  const paused = annotationIs(raw.metadata.annotations, pauseAnnotation, "true");

  const status = previousStatus(raw.status);
  // The layout recorded outside the ImCluster is in force when the status has none (deleted and recreated).
  const record = status?.shardLayout ? undefined : await readShardLayoutRecord(deps, raw);
  const recorded = record === "invalid" ? undefined : record;
  const previous = recorded ? { ...status, shardLayout: recorded } : status;
  const current = previous?.shardLayout?.messageShards;
  const parsed = imClusterSchema.safeParse({ ...raw, status: undefined });
  const notes: string[] = [];
  let failure: { reason: string; message: string } | undefined;
  let outcome: ApplyOutcome = { failedChildren: [], unservedKinds: [], missingSecrets: {}, next: undefined };
  let shardPlan = planShardChange(current, current ?? 1);
  // Status covers the components the spec runs (an invalid spec: those that always run).
  let running: ComponentDefinition[] = componentList.filter((component) => !component.runsWhen);
  if (!parsed.success) {
    // Nothing is applied and nothing retried until the spec changes (the watch brings that change).
    failure = {
      reason: "InvalidSpec",
      message: parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; "),
    };
  } else if (record === "invalid") {
    // The layout the data was written with is unknown: nothing is applied until the record is fixed or deleted.
    failure = {
      reason: "ShardLayoutRecordInvalid",
      message:
        `ConfigMap ${shardLayoutRecordName(name)} holds no valid shard layout (messageShards 1 to 1024, since a time): ` +
        "put back the layout in force, or delete it to reset (only for a new, empty database)",
    };
  } else {
    const cluster: ImCluster = { ...parsed.data, status: previous };
    running = activeComponents(cluster.spec);
    shardPlan = planShardChange(current, cluster.spec.messageShards, cluster.spec.messageShardsMigration);
    outcome = await applyChildren(deps, cluster, raw, notes, paused);
    if (outcome.unservedKinds.length > 0) deps.requestDiscovery?.();
    // A refused child is also the reconcile's failure, so the shard layout in force does not move on.
    if (outcome.failedChildren.length > 0) {
      failure = {
        reason: "ApplyFailed",
        message: outcome.failedChildren.map((f) => `${f.kind} ${f.name}: ${f.message}`).join("; "),
      };
    }
  }

  const written = computeStatus({
    ...statusInputsOf(deps, raw, running, parsed.success ? parsed.data.spec : undefined),
    // Paused: observedGeneration stays at the last generation applied, so kstatus reports a change as waiting.
    generation: paused ? (status?.observedGeneration ?? 0) : (raw.metadata.generation ?? 0),
    previous,
    components: running,
    shardPlan,
    failure,
    notes,
    now: deps.now(),
    failedChildren: outcome.failedChildren,
    unservedKinds: outcome.unservedKinds,
    missingSecrets: outcome.missingSecrets,
  });
  try {
    await writeStatus(deps, raw, previous, written);
  } finally {
    // The children carry this layout now: it is recorded even when the API server refuses the status write.
    if (!paused && written.shardLayout) await recordShardLayout(deps, raw, written.shardLayout);
  }
  // Retried with backoff by the work queue; the status already says why. (The record has no ownerReference, so
  // its fix or delete does not wake the cluster up: the retry does.)
  if (outcome.failedChildren.length > 0 || record === "invalid") throw new Error(failure?.message ?? "a child could not be applied");
  return outcome.next;
}

/** What applying the children found: refused children, requested kinds not served, Secrets the pods need that do not exist. */
interface ApplyOutcome {
  failedChildren: Array<{ kind: string; name: string; message: string }>;
  /** e.g. "ServiceMonitor (monitoring.coreos.com/v1)". */
  unservedKinds: string[];
  missingSecrets: Record<string, string[]>;
  /** The requeue of a paced scale-down (controller/replicas.ts). */
  next: ReconcileResult;
}

/**
 * Server-side applies every rendered child the API server serves, then prunes owned children no longer
 * rendered. Every child is tried: a refused one (4xx, e.g. 422 Invalid) is collected, never stops the rest.
 * Paused: nothing is applied or pruned, only what is missing is reported.
 */
async function applyChildren(
  deps: ReconcileDeps,
  cluster: ImCluster,
  raw: RawCluster,
  notes: string[],
  paused: boolean,
): Promise<ApplyOutcome> {
  const { name, namespace = "" } = raw.metadata;
  const served = deps.servedKinds();
  const secretVersions = deps.secretVersions(namespace);
  const deploymentKind = childKinds.find((c) => c.kind === "Deployment") as ChildKind;
  const liveDeployments = deps.listChildren(deploymentKind, namespace, name).filter((d) => ownedBy(d, raw.metadata.uid));
  const desired = render(cluster, {
    ...(cluster.spec.observability.dashboards.enabled ? { dashboards: deps.dashboards() } : {}),
    secretVersions: hashedSecretVersions(secretVersions, liveDeployments),
  });
  const outcome: ApplyOutcome = { failedChildren: [], unservedKinds: [], missingSecrets: {}, next: undefined };
  for (const object of desired.filter((o) => o.kind === "Deployment")) {
    const missing = missingSecrets(object, secretVersions);
    const component = object.metadata.name.slice(name.length + 1);
    if (missing.length === 0) continue;
    outcome.missingSecrets[component] = missing;
  }
  if (paused) {
    notes.push("reconciliation paused: nothing applied or pruned");
    return outcome;
  }
  // Deployments go through the replica plan (autoscaling hand-over, paced gateway decreases, hibernation).
  const replicas = ReplicaHandover.forCluster(deps, cluster, desired);
  const wanted = new Set<string>();
  for (const object of desired) {
    const child = childKinds.find((c) => c.kind === object.kind && c.apiVersion === object.apiVersion);
    if (!child) throw new Error(`render produced ${object.apiVersion} ${object.kind}, which is not a child kind`);
    if (!served.has(child.kind)) {
      const what = `${child.kind} (${child.apiVersion})`;
      if (!outcome.unservedKinds.includes(what)) outcome.unservedKinds.push(what);
      continue;
    }
    wanted.add(`${object.kind}/${object.metadata.name}`);
    const path = objectPath(childResource(child), object.metadata.name, namespace);
    try {
      if (object.kind === "Deployment") await replicas.apply(path, object);
      else await deps.client.apply(path, object, operatorName, true);
    } catch (error) {
      outcome.failedChildren.push({ kind: object.kind, name: object.metadata.name, message: errorMessage(error) });
    }
  }
  for (const child of childKinds) {
    if (!served.has(child.kind)) continue;
    for (const existing of deps.listChildren(child, namespace, name)) {
      if (wanted.has(`${child.kind}/${existing.metadata.name}`)) continue;
      if (!ownedBy(existing, raw.metadata.uid) && !orphanedChild(existing)) continue;
      try {
        await deleteIgnoringMissing(deps.client, objectPath(childResource(child), existing.metadata.name, namespace));
      } catch (error) {
        outcome.failedChildren.push({ kind: child.kind, name: existing.metadata.name, message: `prune: ${errorMessage(error)}` });
      }
    }
  }
  outcome.next = replicas.requeue();
  return outcome;
}

const errorMessage = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** What the status is computed from besides the reconcile's own outcome: children, pods and gateway readings as last seen. */
function statusInputsOf(
  deps: ReconcileDeps,
  raw: RawCluster,
  running: readonly ComponentDefinition[],
  spec: ImCluster["spec"] | undefined,
): Pick<
  StatusInputs,
  | "deployments"
  | "hpas"
  | "pods"
  | "specReplicas"
  | "fixedReplicas"
  | "desiredVersion"
  | "gatewaySelector"
  | "onlineUsers"
  | "latestGeneration"
  | "paused"
  | "hibernating"
> {
  const namespace = raw.metadata.namespace ?? "";
  const owned = (kind: string) =>
    deps
      .listChildren(childKinds.find((c) => c.kind === kind) as ChildKind, namespace, raw.metadata.name)
      .filter((o) => ownedBy(o, raw.metadata.uid));
  const deployments = owned("Deployment");
  const hpas = deps.servedKinds().has("HorizontalPodAutoscaler") ? owned("HorizontalPodAutoscaler") : [];
  const byComponent = <T>(found: KubeObject[]) =>
    Object.fromEntries(
      running.map((component) => [
        component.name,
        found.find((o) => o.metadata.name === `${raw.metadata.name}-${component.name}`) as T | undefined,
      ]),
    );
  const sections = spec as unknown as Record<string, ComponentSpecView | undefined> | undefined;
  const specReplicas = Object.fromEntries(
    running.flatMap((component) => {
      const section = sections?.[component.name];
      if (!section) return [];
      return [[component.name, section.autoscaling?.enabled ? section.autoscaling.minReplicas : section.replicas]];
    }),
  );
  const fixedReplicas = Object.fromEntries(
    running.flatMap((component) => {
      const section = sections?.[component.name];
      return section && !section.autoscaling?.enabled && section.replicas !== undefined ? [[component.name, section.replicas]] : [];
    }),
  );
  const selector = selectorLabels({ name: raw.metadata.name, namespace, uid: raw.metadata.uid ?? "", version: "" }, "gateway");
  const online = deps.onlineUsers(namespace, raw.metadata.name);
  return {
    deployments: byComponent<DeploymentView>(deployments),
    hpas: byComponent<HpaView>(hpas),
    pods: deps.listPods(namespace, raw.metadata.name),
    specReplicas,
    fixedReplicas,
    ...(spec ? { desiredVersion: spec.version } : {}),
    gatewaySelector: Object.entries(selector)
      .map(([key, value]) => `${key}=${value}`)
      .join(","),
    ...(online ? { onlineUsers: online } : {}),
    latestGeneration: raw.metadata.generation ?? 0,
    paused: annotationIs(raw.metadata.annotations, pauseAnnotation, "true"),
    hibernating: annotationIs(raw.metadata.annotations, hibernationAnnotation, "on"),
  };
}

async function writeStatus(
  deps: ReconcileDeps,
  raw: RawCluster,
  previous: ImClusterStatus | undefined,
  status: ImClusterStatus,
): Promise<void> {
  // Unchanged status: no write, so the status update does not wake this cluster up again and again.
  if (JSON.stringify(status) === JSON.stringify(previous)) return;
  // A merge patch keeps keys it does not mention: what is gone (a component that no longer runs, a problem
  // resolved, online users no longer known) is removed with an explicit null.
  await deps.client.mergePatch(`${objectPath(clusterResource, raw.metadata.name, raw.metadata.namespace)}/status`, {
    status: mergePatchOf(previous, status),
  });
  await recordStatusEvents(deps.client, raw, previous, status);
}

async function deleteIgnoringMissing(client: KubeClient, path: string): Promise<void> {
  try {
    await client.delete(path, { propagationPolicy: "Background" });
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}

/** Removes the legacy finalizer (optimistic concurrency: a conflict or a cluster already gone ends this reconcile). */
async function releaseLegacyFinalizer(deps: ReconcileDeps, raw: RawCluster): Promise<ReconcileResult> {
  try {
    await deps.client.mergePatch(objectPath(clusterResource, raw.metadata.name, raw.metadata.namespace), {
      metadata: {
        finalizers: (raw.metadata.finalizers ?? []).filter((f) => f !== legacyFinalizer),
        resourceVersion: raw.metadata.resourceVersion,
      },
    });
  } catch (error) {
    // 404: gone; 409: changed meanwhile, and the watch brings the change, which queues this cluster again.
    if (!(error instanceof KubeApiError && (error.status === 404 || error.status === 409))) throw error;
  }
  // The update comes back through the watch and queues this cluster again.
  return undefined;
}
