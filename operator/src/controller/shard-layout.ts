import { operatorName } from "../crd/constants.js";
import { isNotFound } from "../kube/client.js";
import { objectPath } from "../kube/paths.js";
import { type ChildKind, childKinds } from "../render/child-kinds.js";
import type { KubeObject } from "../render/kube-object.js";
import { clusterLabel } from "../render/metadata.js";
import type { ImClusterStatus } from "../spec/status.js";
import type { RawCluster, ReconcileDeps } from "./reconcile.js";

type ShardLayout = NonNullable<ImClusterStatus["shardLayout"]>;

/** Annotation on the layout record, saying what it is for and how to reset it. */
export const shardLayoutRecordAnnotation = "im.platform.io/shard-layout-record";
const recordNote =
  "The message shard layout in force for this ImCluster; no ownerReference on purpose, so it survives a delete and " +
  "recreate of the ImCluster (a different messageShards is then refused). Delete this ConfigMap to reset the layout.";

/** `<cluster>-shard-layout`: the ConfigMap recording the layout in force (docs/kubernetes.md, "Shard layout"). */
export const shardLayoutRecordName = (cluster: string) => `${cluster}-shard-layout`;

const configMapKind = childKinds.find((c) => c.kind === "ConfigMap") as ChildKind;

interface RecordConfigMap extends KubeObject {
  data?: { messageShards?: string; since?: string };
}

/** The layout a record holds, or undefined when it holds no valid layout. */
function layoutOf(record: RecordConfigMap | undefined): ShardLayout | undefined {
  const shards = Number(record?.data?.messageShards);
  const since = record?.data?.since;
  if (!Number.isInteger(shards) || shards < 1 || shards > 1024 || !since || Number.isNaN(Date.parse(since))) return undefined;
  return { messageShards: shards, since };
}

/**
 * The layout recorded in `<cluster>-shard-layout` (from the ConfigMap informer: the record carries the cluster
 * label), or undefined when there is none or it does not hold a valid layout.
 */
export function recordedShardLayout(deps: ReconcileDeps, raw: RawCluster): ShardLayout | undefined {
  const namespace = raw.metadata.namespace ?? "";
  const record = deps
    .listChildren(configMapKind, namespace, raw.metadata.name)
    .find((c) => c.metadata.name === shardLayoutRecordName(raw.metadata.name)) as RecordConfigMap | undefined;
  return layoutOf(record);
}

/**
 * The layout recorded in `<cluster>-shard-layout`, read from the API server by name: a record that lost its
 * cluster label (a hand edit, a restore that drops labels) is not in the label-selected informer, yet it is
 * what the data was written with. Undefined when there is none (404); "invalid" when it holds no valid layout (a
 * hand edit: only deleting the record resets the layout, so the reconcile refuses to guess); any other error is
 * thrown, so the reconcile is retried rather than run without the layout in force.
 */
export async function readShardLayoutRecord(
  deps: Pick<ReconcileDeps, "client">,
  raw: RawCluster,
): Promise<ShardLayout | "invalid" | undefined> {
  const name = shardLayoutRecordName(raw.metadata.name);
  const path = objectPath({ apiVersion: "v1", resource: "configmaps", namespaced: true }, name, raw.metadata.namespace ?? "");
  try {
    return layoutOf(await deps.client.get<RecordConfigMap>(path)) ?? "invalid";
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/**
 * Writes the layout in force to `<cluster>-shard-layout` (server-side apply as im-operator) when the record
 * differs. The ConfigMap has no ownerReference: deleting the ImCluster leaves it, so a recreated ImCluster
 * starts from the layout the data was written with (CloudNativePG and Strimzi keep such state with the data).
 */
export async function recordShardLayout(deps: ReconcileDeps, raw: RawCluster, layout: ShardLayout): Promise<void> {
  const recorded = recordedShardLayout(deps, raw);
  if (recorded?.messageShards === layout.messageShards && recorded.since === layout.since) return;
  const namespace = raw.metadata.namespace ?? "";
  const name = shardLayoutRecordName(raw.metadata.name);
  const record: RecordConfigMap = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name,
      namespace,
      labels: {
        [clusterLabel]: raw.metadata.name,
        "app.kubernetes.io/managed-by": operatorName,
        "app.kubernetes.io/part-of": "im-platform",
      },
      annotations: { [shardLayoutRecordAnnotation]: recordNote },
    },
    data: { messageShards: String(layout.messageShards), since: layout.since },
  };
  await deps.client.apply(
    objectPath({ apiVersion: "v1", resource: "configmaps", namespaced: true }, name, namespace),
    record,
    operatorName,
    true,
  );
}
