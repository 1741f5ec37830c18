// Breaker x: a paced gateway scale-down is "Reconciling" until the Deployment is down to the spec's count
// (docs/kubernetes.md, Status table: Reconciling covers "a paced scale-down"), so `kubectl scale imc/im
// --replicas=2 && kubectl wait --for=condition=Ready imc/im` does not return while pods are still being removed.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { helpers, minimalSpec, paths } from "./lifecycle-support.js";
import { type OperatorProcess, OperatorWorld, until } from "./operator-world.js";

const ns = "im";
const name = "im";
const p = paths(ns, name);

describe("breaker x: paced gateway scale-down and the Ready condition", { timeout: 300_000 }, () => {
  let world: OperatorWorld;
  let operator: OperatorProcess;
  const h = helpers(() => world);
  before(async () => {
    world = await OperatorWorld.start();
    // A long step: the descent stays between its first and last step while the test looks.
    operator = await world.startOperator("operator-x", { OPERATOR_SCALE_DOWN_STEP_SECONDS: "120" });
    await h.createSecret(ns, "im-mongo", { url: "mongodb://mongo.example:27017/im" });
    await h.createSecret(ns, "im-redis", { url: "redis://redis.example:6379" });
  });
  after(() => world?.stop());

  /** Plays the Deployment controller: every pod of the current spec.replicas updated, ready and available. */
  const rolledOut = async (component: string) => {
    const d = await h.get(p.deployment(component));
    const n = (d.spec?.replicas as number | undefined) ?? 1;
    await world.admin.mergePatch(`${p.deployment(component)}/status`, {
      status: { observedGeneration: d.metadata.generation, replicas: n, updatedReplicas: n, readyReplicas: n, availableReplicas: n },
    });
  };
  const conditions = async () => {
    const cluster = await h.get(p.cluster);
    return { ready: h.condition(cluster, "Ready"), reconciling: h.condition(cluster, "Reconciling") };
  };

  it("keeps Ready False and Reconciling True while the gateway Deployment is above spec.gateway.replicas", async () => {
    await h.applyCluster(ns, name, minimalSpec({ gateway: { replicas: 4 } }));
    await until("the Deployments", () => h.exists(p.deployment("scheduler")), Boolean);
    for (const c of ["api", "gateway", "scheduler"]) await rolledOut(c);
    await until("Ready", conditions, (c) => c.ready?.status === "True");

    await world.kubectl(["-n", ns, "scale", `imc/${name}`, "--replicas=2"]);
    const gateway = await until(
      "the first step down",
      () => h.get(p.deployment("gateway")),
      (d) => d.spec?.replicas === 3,
    );
    assert.equal(gateway.spec?.replicas, 3);
    // The Deployment controller removes the pod: 3 of 3 ready, but the spec asks for 2 and the next step is
    // two minutes away.
    await h.reconciledAfter(operator, () => rolledOut("gateway"));
    const after = await conditions();
    assert.equal((await h.get(p.deployment("gateway"))).spec?.replicas, 3, "still mid-descent");
    assert.equal(after.ready?.status, "False", `Ready during a paced scale-down: ${JSON.stringify(after.ready)}`);
    assert.equal(after.reconciling?.status, "True", `Reconciling during a paced scale-down: ${JSON.stringify(after.reconciling)}`);
    assert.match(after.ready?.message ?? "", /gateway 3\/2/);
  });

  it("names the Deployment's count when it, not the desired count, is what keeps Ready False", async () => {
    // Autoscaling on at a minimum of 2 while the gateway runs 3: the hand-over keeps 3 until the HPA acts, so
    // 2 ready pods are not enough, though 2 is the desired count ("gateway 2/2 ready, 2/2 updated" said nothing).
    await h.applyCluster(
      ns,
      name,
      minimalSpec({ gateway: { replicas: 2, autoscaling: { enabled: true, minReplicas: 2, maxReplicas: 6 } } }),
    );
    await until("the HPA", () => h.exists(`/apis/autoscaling/v2/namespaces/${ns}/horizontalpodautoscalers/${name}-gateway`), Boolean);
    const d = await h.get(p.deployment("gateway"));
    assert.equal(d.spec?.replicas, 3, "the hand-over kept the live count");
    await h.reconciledAfter(operator, () =>
      world.admin.mergePatch(`${p.deployment("gateway")}/status`, {
        status: { observedGeneration: d.metadata.generation, replicas: 3, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2 },
      }),
    );
    const { ready } = await conditions();
    assert.equal(ready?.status, "False");
    assert.match(ready?.message ?? "", /gateway 2\/2 ready, 2\/2 updated \(Deployment at 3\)/);
  });
});
