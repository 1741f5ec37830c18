// Breaker y: hostile Pod status and a hand-edited shard-layout record on a real kube-apiserver. A pod (written
// through /status as kubelet would) whose waiting message is huge, and a `<cluster>-shard-layout` record whose
// content is garbage when the ImCluster is recreated with another messageShards.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { helpers, minimalSpec, paths } from "./lifecycle-support.js";
import { OperatorWorld, until } from "./operator-world.js";

const ns = "im";

describe("breaker y: hostile status inputs on a real kube-apiserver", { timeout: 600_000 }, () => {
  let world: OperatorWorld;
  const h = helpers(() => world);
  before(async () => {
    world = await OperatorWorld.start();
    for (const secret of ["im-mongo", "im-redis"]) await h.createSecret(ns, secret, { url: "unused://" });
    await world.startOperator("operator-break-y-status");
  });
  after(() => world?.stop());

  it("pods whose waiting messages are huge still let the status be written (messages cut to what the CRD allows)", async () => {
    const name = "huge";
    await h.applyCluster(ns, name, minimalSpec());
    await until(
      "first status",
      () => h.get(paths(ns, name).cluster),
      (c) => c.status?.observedGeneration === 1,
    );
    // Every component has a pod pulling an image that fails with a 30 000-character message (a registry's error page).
    for (const component of ["api", "gateway", "scheduler"]) {
      const pod = `${name}-${component}-pull`;
      await world.admin.request("POST", `/api/v1/namespaces/${ns}/pods`, {
        body: {
          apiVersion: "v1",
          kind: "Pod",
          metadata: {
            name: pod,
            labels: { "im.platform.io/cluster": name, "app.kubernetes.io/component": component, "app.kubernetes.io/instance": name },
          },
          spec: { containers: [{ name: component, image: "ghcr.io/im-platform/im:0.2.0" }] },
        },
      });
      await world.admin.mergePatch(`/api/v1/namespaces/${ns}/pods/${pod}/status`, {
        status: {
          phase: "Pending",
          containerStatuses: [
            {
              name: component,
              image: "ghcr.io/im-platform/im:0.2.0",
              imageID: "",
              ready: false,
              restartCount: 100_000,
              state: { waiting: { reason: "ImagePullBackOff", message: "x".repeat(30_000) } },
            },
          ],
        },
      });
    }
    await h.applyCluster(ns, name, minimalSpec({ gateway: { replicas: 3 } }));
    const cluster = await until(
      "generation 2 observed, Stalled ImagePullBackOff",
      () => h.get(paths(ns, name).cluster),
      (c) => c.status?.observedGeneration === 2 && h.condition(c, "Stalled")?.reason === "ImagePullBackOff",
      20_000,
    );
    assert.ok((h.condition(cluster, "Stalled")?.message.length ?? 0) <= 32_768);
  });

  it("a shard-layout record holding garbage is not taken as no record: a recreated ImCluster may not pick another count", async () => {
    const name = "garbled";
    await h.applyCluster(ns, name, minimalSpec({ messageShards: 4 }));
    await until(
      "record written",
      () => h.get(paths(ns, name).shardRecord),
      (r) => r.data?.messageShards === "4",
    );
    await world.kubectl(["delete", "imc", name, "-n", ns]);
    // A hand edit leaves the record unreadable; only deleting it is the documented reset.
    await world.admin.mergePatch(paths(ns, name).shardRecord, { data: { messageShards: "four" } });
    await h.applyCluster(ns, name, minimalSpec({ messageShards: 8 }));
    const cluster = await until(
      "recreated cluster has a status",
      () => h.get(paths(ns, name).cluster),
      (c) => h.condition(c, "Stalled") !== undefined,
    );
    assert.notEqual((cluster.status?.shardLayout as { messageShards?: number } | undefined)?.messageShards, 8, "8 is not in force");
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    assert.equal((await h.get(paths(ns, name).shardRecord)).data?.messageShards, "four", "the record is not overwritten");
    assert.equal(h.condition(cluster, "Stalled")?.status, "True");
    assert.equal(h.condition(cluster, "Stalled")?.reason, "ShardLayoutRecordInvalid");
    // The old cluster's children stay (no garbage collector here); none is taken over by the new one meanwhile.
    const gateway = await h.get(paths(ns, name).deployment("gateway"));
    assert.ok(!gateway.metadata.ownerReferences?.some((o) => o.uid === cluster.metadata.uid), "nothing applied meanwhile");
    // Deleting the record is the reset: the recreated cluster then starts with its own count.
    await world.admin.delete(paths(ns, name).shardRecord);
    await until(
      "8 in force after the reset",
      () => h.get(paths(ns, name).shardRecord),
      (r) => r.data?.messageShards === "8",
      30_000,
    );
  });
  it("the shard layout the children were applied with is recorded even when the API server refuses the status write", async () => {
    const name = "nostatus";
    const rule = { apiGroups: ["im.platform.io"], apiVersions: ["v1alpha1"], operations: ["UPDATE"], resources: ["imclusters/status"] };
    await world.refuseByPolicy("refuse-nostatus", rule, "object.metadata.name != 'nostatus'", "status refused by the test");
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    await h.applyCluster(ns, name, minimalSpec({ messageShards: 8 }));
    // The children run with 8 shards (their data is written with 8) although no status could be written.
    await until("gateway applied", () => h.exists(paths(ns, name).deployment("gateway")), Boolean);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    assert.equal((await h.get(paths(ns, name).cluster)).status?.shardLayout, undefined, "the policy refused the status");
    assert.equal(await h.exists(paths(ns, name).shardRecord), true, "the layout in force is recorded");
    assert.equal((await h.get(paths(ns, name).shardRecord)).data?.messageShards, "8");
    await world.kubectl(["delete", "validatingadmissionpolicybinding,validatingadmissionpolicy", "refuse-nostatus"]);
  });
});
