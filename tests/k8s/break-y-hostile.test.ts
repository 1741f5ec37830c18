// Breaker y: hostile input against the ImCluster operator on a real kube-apiserver. A gateway whose metrics
// endpoint answers garbage for im_online_users, pause/hibernation annotations written as "TRUE" / " true" /
// "On", and a shard-layout record that lost its label by a hand edit.

import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { helpers, minimalSpec, type Obj, paths } from "./lifecycle-support.js";
import { type OperatorProcess, OperatorWorld, until } from "./operator-world.js";

const ns = "im";

describe("breaker y: hostile input on a real kube-apiserver", { timeout: 600_000 }, () => {
  let world: OperatorWorld;
  let operator: OperatorProcess;
  const h = helpers(() => world);
  before(async () => {
    world = await OperatorWorld.start();
    for (const secret of ["im-mongo", "im-redis"]) await h.createSecret(ns, secret, { url: "unused://" });
    operator = await world.startOperator("operator-break-y", { OPERATOR_ONLINE_REFRESH_SECONDS: "1" });
  });
  after(() => world?.stop());

  const replicasOf = async (cluster: string, component: string) =>
    (await h.get<{ spec: { replicas?: number } }>(paths(ns, cluster).deployment(component))).spec.replicas;

  it("a gateway answering a fractional, negative or huge im_online_users does not stop status writes", async () => {
    const name = "garbage";
    let body = "im_online_users 2.5\n";
    const server: Server = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      await h.applyCluster(ns, name, minimalSpec({ gateway: { replicas: 2 } }));
      await until(
        "first status",
        () => h.get(paths(ns, name).cluster),
        (c) => c.status?.observedGeneration === 1,
      );
      const pod = `${name}-gateway-hostile`;
      await world.admin.request("POST", `/api/v1/namespaces/${ns}/pods`, {
        body: {
          apiVersion: "v1",
          kind: "Pod",
          metadata: {
            name: pod,
            labels: { "im.platform.io/cluster": name, "app.kubernetes.io/component": "gateway", "app.kubernetes.io/instance": name },
          },
          spec: {
            containers: [{ name: "gateway", image: "ghcr.io/im-platform/im:0.2.0", ports: [{ name: "http", containerPort: port }] }],
          },
        },
      });
      await world.admin.mergePatch(`/api/v1/namespaces/${ns}/pods/${pod}/status`, {
        status: { phase: "Running", podIP: "127.0.0.1", podIPs: [{ ip: "127.0.0.1" }], conditions: [{ type: "Ready", status: "True" }] },
      });
      for (const [i, garbage] of ["im_online_users 2.5\n", "im_online_users -3\n", "im_online_users 1e30\n"].entries()) {
        body = garbage;
        // Let the reader take the garbage in, then change the spec: the new generation must still be observed.
        await new Promise((resolve) => setTimeout(resolve, 2_500));
        await h.applyCluster(ns, name, minimalSpec({ gateway: { replicas: 3 + i } }));
        const seen = await until(
          `generation ${2 + i} observed with ${garbage.trim()} served`,
          () => h.get(paths(ns, name).cluster),
          (c) => c.status?.observedGeneration === c.metadata.generation,
          20_000,
        );
        const online = seen.status?.onlineUsers;
        assert.ok(online === undefined || (Number.isSafeInteger(online) && (online as number) >= 0), `onlineUsers ${String(online)}`);
      }
      // A sane reading is taken again.
      body = "im_online_users 4\n";
      await until(
        "ONLINE 4",
        () => h.get(paths(ns, name).cluster),
        (c) => c.status?.onlineUsers === 4,
      );
    } finally {
      server.close();
      await world.kubectl(["delete", "imc", name, "-n", ns, "--wait=false"]);
    }
  });

  for (const value of ["TRUE", " true", "True"]) {
    it(`pause-reconciliation=${JSON.stringify(value)} pauses like "true"`, async () => {
      const name = `pause-${value.trim().toLowerCase()}${value.startsWith(" ") ? "-sp" : value === "TRUE" ? "-up" : ""}`;
      await h.applyCluster(ns, name, minimalSpec({ gateway: { replicas: 2 } }));
      await until(
        "gateway at 2",
        () => replicasOf(name, "gateway"),
        (r) => r === 2,
      );
      await world.kubectl(["-n", ns, "annotate", "imc", name, `im.platform.io/pause-reconciliation=${value}`]);
      await h.reconciledAfter(operator, () => h.applyCluster(ns, name, minimalSpec({ gateway: { replicas: 5 } })));
      const cluster = await h.get<Obj>(paths(ns, name).cluster);
      assert.equal(h.condition(cluster, "Paused")?.status, "True", `Paused with ${JSON.stringify(value)}`);
      assert.equal(await replicasOf(name, "gateway"), 2, "nothing applied while paused");
      await world.kubectl(["delete", "imc", name, "-n", ns, "--wait=false"]);
    });
  }

  it('hibernation="On" hibernates like "on"', async () => {
    const name = "hib-on";
    await h.applyCluster(ns, name, minimalSpec({ gateway: { replicas: 2 } }));
    await until(
      "gateway at 2",
      () => replicasOf(name, "gateway"),
      (r) => r === 2,
    );
    await world.kubectl(["-n", ns, "annotate", "imc", name, "im.platform.io/hibernation=On"]);
    await until(
      "gateway at 0",
      () => replicasOf(name, "gateway"),
      (r) => r === 0,
      15_000,
    );
    await world.kubectl(["delete", "imc", name, "-n", ns, "--wait=false"]);
  });

  it("a shard-layout record whose label was removed by hand still keeps a recreated ImCluster from changing the count", async () => {
    const name = "shards";
    await h.applyCluster(ns, name, minimalSpec({ messageShards: 4 }));
    await until(
      "record written",
      () => h.get(paths(ns, name).shardRecord),
      (r) => r.data?.messageShards === "4",
    );
    // A hand edit (or a restore from a backup tool that drops labels) removes the cluster label.
    await world.kubectl(["-n", ns, "label", "configmap", `${name}-shard-layout`, "im.platform.io/cluster-"]);
    await world.kubectl(["delete", "imc", name, "-n", ns]);
    await h.applyCluster(ns, name, minimalSpec({ messageShards: 8 }));
    const cluster = await until(
      "recreated cluster reconciled",
      () => h.get(paths(ns, name).cluster),
      (c) => c.status?.observedGeneration === 1,
    );
    const layout = cluster.status?.shardLayout as { messageShards?: number } | undefined;
    assert.equal(layout?.messageShards, 4, "the recorded layout stays in force");
    assert.equal((await h.get(paths(ns, name).shardRecord)).data?.messageShards, "4", "the record is not overwritten");
  });
});
