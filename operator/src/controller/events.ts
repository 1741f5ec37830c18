import { createHash } from "node:crypto";
import { operatorName } from "../crd/constants.js";
import { isConflict, type KubeClient } from "../kube/client.js";
import type { Condition, ImClusterStatus } from "../spec/status.js";

interface Involved {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; uid?: string; resourceVersion?: string };
}

/** Conditions whose status changed (or that are new) between two statuses. */
export function changedConditions(before: Condition[] | undefined, after: Condition[] | undefined): Condition[] {
  return (after ?? []).filter((c) => {
    const old = before?.find((b) => b.type === c.type);
    return !old || old.status !== c.status || old.reason !== c.reason;
  });
}

/** Reasons that are intended states, not bad news, even when a condition they explain is False. */
const intended = new Set(["Hibernated", "Hibernating", "ReconciliationPaused"]);

/** Bad news is a Warning: Stalled going True, Ready, Available or Reconciled going False (hibernation and pause excepted). */
export const eventType = (c: Condition): "Normal" | "Warning" =>
  !intended.has(c.reason) &&
  ((c.type === "Stalled" && c.status === "True") ||
    ((c.type === "Ready" || c.type === "Available" || c.type === "Reconciled") && c.status === "False"))
    ? "Warning"
    : "Normal";

/**
 * Name of the one Event per (involved object, type, reason, message): `<object>.<16 hex of sha256>`, as
 * client-go's EventCorrelator aggregates (events with the same key become one Event whose count grows).
 */
export function eventName(object: Involved, type: string, reason: string, message: string): string {
  const key = [object.kind, object.metadata.namespace ?? "", object.metadata.name, object.metadata.uid ?? "", type, reason, message].join(
    "\n",
  );
  const hash = createHash("sha256").update(key).digest("hex").slice(0, 16);
  return `${object.metadata.name.slice(0, 253 - 17)}.${hash}`;
}

/**
 * Records a core/v1 Event on the ImCluster, so `kubectl describe imcluster` shows what the operator decided
 * (a refused shard change, a failed apply, a pod problem, the cluster becoming ready). Aggregated like
 * client-go's recorder: the Event for the same (object, type, reason, message) has a deterministic name
 * (eventName); it is created once, and a repeat (create answered 409 AlreadyExists) patches its count and
 * lastTimestamp instead of adding an Event. Best effort: an Event that cannot be written never fails a reconcile.
 */
export async function recordEvent(
  client: KubeClient,
  object: Involved,
  type: "Normal" | "Warning",
  reason: string,
  text: string,
  now: Date = new Date(),
): Promise<void> {
  const namespace = object.metadata.namespace ?? "default";
  const message = text.slice(0, 1024);
  const name = eventName(object, type, reason, message);
  const collection = `/api/v1/namespaces/${encodeURIComponent(namespace)}/events`;
  const at = now.toISOString();
  try {
    await client.request("POST", collection, {
      body: {
        apiVersion: "v1",
        kind: "Event",
        metadata: { name, namespace },
        involvedObject: {
          apiVersion: object.apiVersion,
          kind: object.kind,
          name: object.metadata.name,
          namespace,
          uid: object.metadata.uid,
          resourceVersion: object.metadata.resourceVersion,
        },
        type,
        reason,
        message,
        source: { component: operatorName },
        reportingComponent: operatorName,
        firstTimestamp: at,
        lastTimestamp: at,
        count: 1,
      },
    });
  } catch (error) {
    if (!isConflict(error)) return;
    try {
      const path = `${collection}/${encodeURIComponent(name)}`;
      const existing = await client.get<{ count?: number }>(path);
      await client.mergePatch(path, { count: (existing.count ?? 1) + 1, lastTimestamp: at });
    } catch {
      // Best effort (e.g. the Event expired between the create and the get).
    }
  }
}

/**
 * The Events of one status write: one per condition whose status or reason changed (message
 * `<type>=<status>: <message>`), and a Warning per component problem that is new or changed (reason the
 * problem's, e.g. CrashLoopBackOff; message `<component>: <detail>`).
 */
export async function recordStatusEvents(
  client: KubeClient,
  object: Involved,
  previous: ImClusterStatus | undefined,
  status: ImClusterStatus,
): Promise<void> {
  for (const condition of changedConditions(previous?.conditions, status.conditions)) {
    await recordEvent(
      client,
      object,
      eventType(condition),
      condition.reason,
      `${condition.type}=${condition.status}: ${condition.message}`,
    );
  }
  for (const [component, state] of Object.entries(status.components ?? {})) {
    const problem = state.problem;
    const before = previous?.components?.[component]?.problem;
    if (!problem || (before?.reason === problem.reason && before.message === problem.message)) continue;
    await recordEvent(client, object, "Warning", problem.reason, `${component}: ${problem.message}`);
  }
}
