// Breaker x: `kubectl delete imc --cascade=orphan` (docs/kubernetes.md, "Delete": every child keeps running and
// is nobody's), then the ImCluster applied again without the autoscaler the old one had. The recreated cluster
// takes its Deployments back (its server-side apply sets the ownerReference), but the orphaned
// HorizontalPodAutoscaler still carries the cluster's label and targets the api Deployment: the operator counts
// it as a live autoscaler being removed, keeps the count it has for ever ("hand-over") and never removes it.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { components, helpers, minimalSpec, paths, playOrphaningGc } from "./lifecycle-support.js";
import { OperatorWorld, until } from "./operator-world.js";

const ns = "im";
const name = "re";
const p = paths(ns, name);
const hpa = `/apis/autoscaling/v2/namespaces/${ns}/horizontalpodautoscalers/${name}-api`;

describe("breaker x: recreate after an orphaning delete", { timeout: 300_000 }, () => {
  let world: OperatorWorld;
  const h = helpers(() => world);
  before(async () => {
    world = await OperatorWorld.start();
    await world.startOperator("operator-x");
    await h.createSecret(ns, "im-mongo", { url: "mongodb://mongo.example:27017/im" });
    await h.createSecret(ns, "im-redis", { url: "redis://redis.example:6379" });
  });
  after(() => world?.stop());

  const rolledOut = async () => {
    for (const component of components) {
      const d = await h.get(p.deployment(component));
      const n = (d.spec?.replicas as number | undefined) ?? 1;
      await world.admin.mergePatch(`${p.deployment(component)}/status`, {
        status: { observedGeneration: d.metadata.generation, replicas: n, updatedReplicas: n, readyReplicas: n, availableReplicas: n },
      });
    }
  };

  it("a recreated ImCluster without autoscaling gets its api Deployment to spec.api.replicas and becomes Ready", async () => {
    await h.applyCluster(ns, name, minimalSpec({ api: { autoscaling: { enabled: true, minReplicas: 3, maxReplicas: 6 } } }));
    await until("the HPA", () => h.exists(hpa), Boolean);
    await until(
      "api at 3",
      () => h.get(p.deployment("api")),
      (d) => d.spec?.replicas === 3,
    );
    const old = await h.get(p.cluster);
    await world.kubectl(["delete", "imcluster", name, "-n", ns, "--cascade=orphan", "--wait=false"]);
    await playOrphaningGc(world, p.cluster, old.metadata.uid, [...p.children, hpa]);
    await until(
      "the ImCluster gone",
      () => h.exists(p.cluster),
      (present) => !present,
    );

    await h.applyCluster(ns, name, minimalSpec({ api: { replicas: 2 } }));
    await until(
      "the api Deployment adopted",
      () => h.get(p.deployment("api")),
      (d) => d.metadata.ownerReferences?.[0]?.name === name && d.metadata.ownerReferences[0].uid !== old.metadata.uid,
    );
    const api = await until(
      "api at spec.api.replicas (2)",
      () => h.get(p.deployment("api")),
      (d) => d.spec?.replicas === 2,
      20_000,
    ).catch((error: unknown) => error);
    assert.ok(!(api instanceof Error), String(api));
    await until(
      "the orphaned HPA removed",
      () => h.exists(hpa),
      (present) => !present,
    );
    await rolledOut();
    await until(
      "Ready",
      () => h.get(p.cluster),
      (c) => h.condition(c, "Ready")?.status === "True",
      20_000,
    );
  });
});
