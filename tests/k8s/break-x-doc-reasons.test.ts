// Breaker x: two troubleshooting-table rows of docs/kubernetes.md checked against what a user sees.
// - `Reconciling` (Ready False) was said to stay when "the operator is down": with no operator nothing writes
//   the status, so READY keeps its last value; what shows it is observedGeneration behind generation (and
//   `kubectl wait`, which refuses a condition of an older generation, times out).
// - `APINotServed` for "a kind the API server does not serve": a CRD removed while the leader runs (the
//   Prometheus Operator uninstalled) is still counted as served, so asking for a ServiceMonitor then is
//   `ApplyFailed` (404) until the operator restarts.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { components, helpers, minimalSpec, paths } from "./lifecycle-support.js";
import { type OperatorProcess, OperatorWorld, until } from "./operator-world.js";

const ns = "im";

describe("breaker x: troubleshooting reasons as the docs name them", { timeout: 300_000 }, () => {
  let world: OperatorWorld;
  let operator: OperatorProcess;
  const h = helpers(() => world);
  before(async () => {
    world = await OperatorWorld.start();
    operator = await world.startOperator("operator-x", { OPERATOR_DISCOVERY_REFRESH_SECONDS: "1" });
    await h.createSecret(ns, "im-mongo", { url: "mongodb://mongo.example:27017/im" });
    await h.createSecret(ns, "im-redis", { url: "redis://redis.example:6379" });
  });
  after(() => world?.stop());

  const rolledOut = async (name: string) => {
    for (const component of components) {
      const path = paths(ns, name).deployment(component);
      const d = await until(`${path}`, () => h.get(path), Boolean);
      const n = (d.spec?.replicas as number | undefined) ?? 1;
      await world.admin.mergePatch(`${path}/status`, {
        status: { observedGeneration: d.metadata.generation, replicas: n, updatedReplicas: n, readyReplicas: n, availableReplicas: n },
      });
    }
    await until(
      "Ready",
      () => h.get(paths(ns, name).cluster),
      (c) => h.condition(c, "Reconciled")?.status === "True" && h.condition(c, "Ready")?.status === "True",
    );
  };

  it("a ServiceMonitor asked for after its CRD was removed is ApplyFailed (404), not APINotServed", async () => {
    const p = paths(ns, "mon");
    await h.applyCluster(ns, "mon", minimalSpec());
    await rolledOut("mon");
    await world.kubectl(["delete", "crd", "servicemonitors.monitoring.coreos.com"]);
    await new Promise((resolve) => setTimeout(resolve, 3_000)); // several discovery refreshes
    await h.applyCluster(ns, "mon", minimalSpec({ observability: { serviceMonitor: { enabled: true } } }));
    const cluster = await until(
      "Reconciled False",
      () => h.get(p.cluster),
      (c) => h.condition(c, "Reconciled")?.status === "False",
    );
    assert.equal(h.condition(cluster, "Reconciled")?.reason, "ApplyFailed");
    assert.match(h.condition(cluster, "Reconciled")?.message ?? "", /ServiceMonitor mon-gateway: .*404/);
    assert.equal(h.condition(cluster, "Stalled")?.reason, "ApplyFailed");
  });

  it("with no operator running a spec change leaves READY as it was: observedGeneration lags, kubectl wait times out", async () => {
    const p = paths(ns, "down");
    await h.applyCluster(ns, "down", minimalSpec());
    await rolledOut("down");
    await operator.process.stop();
    await h.applyCluster(ns, "down", minimalSpec({ version: "0.2.0" }));
    const cluster = await h.get(p.cluster);
    assert.equal(h.condition(cluster, "Ready")?.status, "True", "nobody rewrites the status");
    assert.equal(h.condition(cluster, "Ready")?.reason, "AllComponentsReady");
    assert.equal(cluster.status?.observedGeneration, (cluster.metadata.generation ?? 0) - 1);
    const columns = (await world.kubectl(["-n", ns, "get", "imc", "down", "--no-headers"])).trim().split(/\s+/);
    assert.deepEqual(columns.slice(1, 3), ["True", "Ready"]);
    await assert.rejects(world.kubectl(["-n", ns, "wait", "--for=condition=Ready", "imc/down", "--timeout=3s"]));
  });
});
