import { operatorName } from "../crd/constants.js";
import type { KubeClient } from "../kube/client.js";
import type { Condition } from "../spec/status.js";

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

/** Bad news is a Warning: Degraded going True, Available or Reconciled going False. */
export const eventType = (c: Condition) =>
  ((c.type === "Stalled" || c.type === "Paused") && c.status === "True") ||
  ((c.type === "Ready" || c.type === "Available" || c.type === "Reconciled") && c.status === "False")
    ? "Warning"
    : "Normal";

/**
 * Records a core/v1 Event on the ImCluster, so `kubectl describe imcluster` shows what the operator decided
 * (a refused shard change, a failed apply, the cluster becoming available). Best effort: an Event that cannot
 * be written never fails a reconcile.
 */
export async function recordEvent(
  client: KubeClient,
  object: Involved,
  type: "Normal" | "Warning",
  reason: string,
  message: string,
): Promise<void> {
  const namespace = object.metadata.namespace ?? "default";
  const now = new Date().toISOString();
  await client
    .request("POST", `/api/v1/namespaces/${encodeURIComponent(namespace)}/events`, {
      body: {
        apiVersion: "v1",
        kind: "Event",
        metadata: { generateName: `${object.metadata.name}.`, namespace },
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
        message: message.slice(0, 1024),
        source: { component: operatorName },
        reportingComponent: operatorName,
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      },
    })
    .catch(() => undefined);
}
