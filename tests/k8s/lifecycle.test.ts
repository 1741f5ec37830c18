// Issue 13, section C: deletion without a finalizer (orphan, no operator, legacy finalizer released), pause,
// one refused child not blocking the others, and the shard layout surviving a delete and recreate.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { components, helpers, minimalSpec, type Obj, paths, playOrphaningGc } from "./lifecycle-support.js";
import { type OperatorProcess, OperatorWorld, until } from "./operator-world.js";

const ns = "im";
const legacyFinalizer = "im.platform.io/cleanup";
const pause = "im.platform.io/pause-reconciliation";

describe("ImCluster lifecycle on a real kube-apiserver", { timeout: 600_000 }, () => {
  let world: OperatorWorld;
  let operator: OperatorProcess;
  const h = helpers(() => world);
  before(async () => {
    world = await OperatorWorld.start();
    await h.createSecret(ns, "im-mongo", { url: "mongodb://mongo:27017/im" });
    await h.createSecret(ns, "im-redis", { url: "redis://redis:6379" });
    operator = await world.startOperator("operator-a");
  });
  after(() => world?.stop());

  const uids = async (list: string[]) => Promise.all(list.map(async (path) => (await h.get(path)).metadata.uid));
  const created = async (name: string) => {
    const p = paths(ns, name);
    for (const path of p.children) await until(path, () => h.exists(path), Boolean);
    return until(
      `${name} reconciled`,
      () => h.get(p.cluster),
      (c) => h.condition(c, "Reconciled") !== undefined,
    );
  };

  it("adds no finalizer; `kubectl delete --cascade=orphan` leaves every child and the operator deletes nothing", async () => {
    const p = paths(ns, "orph");
    await h.applyCluster(ns, "orph", minimalSpec());
    const cluster = await created("orph");
    assert.deepEqual(cluster.metadata.finalizers ?? [], [], "children go with their ownerReferences: no finalizer");
    for (const path of p.children) {
      const owner = (await h.get(path)).metadata.ownerReferences?.find((r) => r.kind === "ImCluster");
      assert.equal(owner?.uid, cluster.metadata.uid);
    }
    const before = await uids(p.children);

    // The API server marks it deleting with the "orphan" finalizer; the operator gets the update and reconciles.
    await h.reconciledAfter(operator, () => world.kubectl(["delete", "imcluster", "orph", "-n", ns, "--cascade=orphan", "--wait=false"]));
    const deleting = await h.get(p.cluster);
    assert.ok(deleting.metadata.deletionTimestamp);
    assert.deepEqual(deleting.metadata.finalizers, ["orphan"], "only the garbage collector's finalizer");
    assert.deepEqual(await uids(p.children), before, "every child is still there (the operator deleted nothing)");

    // What the garbage collector does for an orphaning delete; then nothing more may go.
    await playOrphaningGc(world, p.cluster, cluster.metadata.uid, p.children);
    await until(
      "the ImCluster gone",
      () => h.exists(p.cluster),
      (present) => !present,
    );
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    assert.deepEqual(await uids(p.children), before, "orphaned children stay");
    for (const path of p.children) assert.equal((await h.get(path)).metadata.ownerReferences, undefined);
  });

  it("keeps a paused cluster as it is (a deleted child is not restored, a spec change waits) and catches up when resumed", async () => {
    const p = paths(ns, "held");
    await h.applyCluster(ns, "held", minimalSpec({ gateway: { replicas: 2 } }));
    await created("held");
    await world.kubectl(["annotate", "imcluster", "held", "-n", ns, `${pause}=true`]);
    await h.reconciledAfter(operator, () => h.applyCluster(ns, "held", minimalSpec({ gateway: { replicas: 3 } })));
    await h.reconciledAfter(operator, () => world.admin.delete(p.service("gateway")));
    assert.equal(await h.exists(p.service("gateway")), false, "not restored while paused");
    const deployment = await h.get<{ spec: { replicas: number } } & Obj>(p.deployment("gateway"));
    assert.equal(deployment.spec.replicas, 2, "the spec change waits");
    const paused = await until(
      "Paused True",
      () => h.get(p.cluster),
      (c) => h.condition(c, "Paused")?.status === "True",
    );
    assert.equal(h.condition(paused, "Paused")?.reason, "ReconciliationPaused");
    assert.equal(paused.status?.phase, "Paused");
    assert.ok(
      (paused.status?.observedGeneration as number) < (paused.metadata.generation ?? 0),
      "observedGeneration stays at the last generation applied, so kstatus sees the change as not yet done",
    );

    await world.kubectl(["annotate", "imcluster", "held", "-n", ns, `${pause}-`]);
    await until("the gateway Service restored", () => h.exists(p.service("gateway")), Boolean);
    await until(
      "replicas 3 applied",
      () => h.get<{ spec: { replicas: number } } & Obj>(p.deployment("gateway")),
      (d) => d.spec.replicas === 3,
    );
    await until(
      "observedGeneration caught up",
      () => h.get(p.cluster),
      (c) => c.status?.observedGeneration === c.metadata.generation,
    );
  });

  it("applies every other child when one is refused (422), reports it as ApplyFailed and keeps retrying", async () => {
    const p = paths(ns, "bad");
    // A Deployment of that name already exists with another selector: applying the operator's selector is refused
    // by the API server (422, spec.selector is immutable).
    const foreign = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "bad-gateway", namespace: ns },
      spec: {
        selector: { matchLabels: { legacy: "yes" } },
        template: { metadata: { labels: { legacy: "yes" } }, spec: { containers: [{ name: "c", image: "example/legacy:1" }] } },
      },
    };
    await world.kubectl(["apply", "--server-side", "--field-manager=someone-else", "-f", "-"], JSON.stringify(foreign));
    await h.applyCluster(ns, "bad", minimalSpec());
    // Rendered after the refused gateway Deployment: they are applied all the same.
    for (const path of [p.service("gateway"), p.deployment("scheduler"), p.service("scheduler"), p.configMap]) {
      await until(path, () => h.exists(path), Boolean);
    }
    const failed = await until(
      "Reconciled False ApplyFailed",
      () => h.get(p.cluster),
      (c) => h.condition(c, "Reconciled")?.reason === "ApplyFailed",
    );
    const message = h.condition(failed, "Reconciled")?.message ?? "";
    assert.match(message, /Deployment bad-gateway/);
    assert.match(message, /422/);
    assert.doesNotMatch(message, /scheduler/, "only the refused child is named");
    assert.ok(
      (await h.events(ns, "bad")).some((e) => e.type === "Warning" && e.reason === "ApplyFailed"),
      "a Warning event says so",
    );
    // The work queue retries: once the blocking object is gone the child is created and the cluster recovers.
    await world.admin.delete(p.deployment("gateway"));
    await until(
      "the gateway Deployment created",
      () => h.get(p.deployment("gateway")),
      (d) => d.metadata.labels?.["im.platform.io/cluster"] === "bad",
    );
    await until(
      "Reconciled True",
      () => h.get(p.cluster),
      (c) => h.condition(c, "Reconciled")?.status === "True",
      60_000,
    );
  });

  it("keeps the shard layout across a delete and recreate of the ImCluster (<name>-shard-layout), reset by deleting it", async () => {
    const p = paths(ns, "sh");
    await h.applyCluster(ns, "sh", minimalSpec({ messageShards: 4 }));
    const record = await until(
      "the layout record",
      () => h.get(p.shardRecord),
      (c) => c.data?.messageShards === "4",
    );
    assert.equal(record.metadata.ownerReferences, undefined, "no ownerReference: it survives the ImCluster");
    assert.equal(record.metadata.labels?.["im.platform.io/cluster"], "sh");
    assert.ok(record.data?.since);

    await world.kubectl(["delete", "imcluster", "sh", "-n", ns, "--timeout=30s"]);
    await h.applyCluster(ns, "sh", minimalSpec({ messageShards: 2 }));
    const refused = await until(
      "the decrease refused",
      () => h.get(p.cluster),
      (c) => h.condition(c, "Stalled")?.reason === "ShardDecreaseRefused",
    );
    assert.equal(
      (refused.status?.shardLayout as { messageShards?: number } | undefined)?.messageShards,
      4,
      "the recorded layout is in force",
    );
    await until(
      "the apps keep 4 shards",
      () => h.get(p.configMap),
      (c) => c.metadata.ownerReferences?.[0]?.uid === refused.metadata.uid,
    );
    assert.equal((await h.get(p.configMap)).data?.MESSAGE_SHARDS, "4");

    // The documented reset: delete the ImCluster and the record, then create it with the new count.
    await world.kubectl(["delete", "imcluster", "sh", "-n", ns, "--timeout=30s"]);
    await world.admin.delete(p.shardRecord);
    await h.applyCluster(ns, "sh", minimalSpec({ messageShards: 2 }));
    await until(
      "layout 2",
      () => h.get(p.cluster),
      (c) => (c.status?.shardLayout as { messageShards?: number } | undefined)?.messageShards === 2,
    );
    await until(
      "recorded 2",
      () => h.get(p.shardRecord),
      (c) => c.data?.messageShards === "2",
    );
  });

  it("deletes an ImCluster with no operator running, and a new operator releases the legacy finalizer", async () => {
    await h.applyCluster(ns, "gone", minimalSpec());
    await created("gone");
    await h.applyCluster(ns, "kept", minimalSpec());
    await created("kept");
    await operator.process.stop();
    // Nothing waits on the operator: `kubectl delete` (which waits for the object to go) returns.
    await world.kubectl(["delete", "imcluster", "gone", "-n", ns, "--timeout=20s"]);
    assert.equal(await h.exists(paths(ns, "gone").cluster), false);

    // ImClusters of an older operator carry its finalizer: an upgraded operator removes it, deleting or not.
    for (const name of ["kept", "old"]) {
      if (name === "old") await h.applyCluster(ns, name, minimalSpec(), { finalizers: [legacyFinalizer] });
      else await world.admin.mergePatch(paths(ns, name).cluster, { metadata: { finalizers: [legacyFinalizer] } });
    }
    await world.kubectl(["delete", "imcluster", "old", "-n", ns, "--wait=false"]);
    assert.ok((await h.get(paths(ns, "old").cluster)).metadata.deletionTimestamp, "Terminating while nobody releases it");
    await world.startOperator("operator-b");
    await until(
      "the deleting one released and gone",
      () => h.exists(paths(ns, "old").cluster),
      (present) => !present,
    );
    const kept = await until(
      "the finalizer released",
      () => h.get(paths(ns, "kept").cluster),
      (c) => (c.metadata.finalizers ?? []).length === 0,
    );
    assert.equal(kept.metadata.deletionTimestamp, undefined);
    for (const component of components) assert.ok(await h.exists(paths(ns, "kept").deployment(component)));
  });
});
