// Breaker y: the ServiceMonitor CRD removed after it was served (the Prometheus Operator uninstalled), then
// installed again, on a real kube-apiserver: the operator reports it, then creates and watches them again.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { components, helpers, minimalSpec, paths } from "./lifecycle-support.js";
import { OperatorWorld, until } from "./operator-world.js";

const ns = "im";
const serviceMonitorCrd = "servicemonitors.monitoring.coreos.com";

describe("breaker y: an optional CRD removed and reinstalled", { timeout: 600_000 }, () => {
  let world: OperatorWorld;
  const h = helpers(() => world);
  before(async () => {
    world = await OperatorWorld.start();
    for (const secret of ["im-mongo", "im-redis"]) await h.createSecret(ns, secret, { url: "unused://" });
    await world.startOperator("operator-break-y-crd", { OPERATOR_DISCOVERY_REFRESH_SECONDS: "2" });
  });
  after(() => world?.stop());

  it("reports the ServiceMonitors failing once the CRD is gone, then recreates and watches the ServiceMonitors after it is back", async () => {
    const name = "mon";
    const p = paths(ns, name);
    await h.applyCluster(ns, name, minimalSpec({ observability: { serviceMonitor: { enabled: true } } }));
    for (const component of components) await until(`${component} ServiceMonitor`, () => h.exists(p.serviceMonitor(component)), Boolean);
    const crd = JSON.parse(await world.kubectl(["get", "crd", serviceMonitorCrd, "-o", "json"])) as { metadata: Record<string, unknown> };
    await world.kubectl(["delete", "crd", serviceMonitorCrd, "--timeout=60s"]);
    // Something else changes, so a reconcile runs after the kind went away.
    await world.kubectl(["-n", ns, "annotate", "imc", name, "touched=1"]);
    // discovery.ts: a kind served once stays served, so the failed applies say it (ApplyFailed), or APINotServed.
    const gone = await until(
      "Reconciled False",
      () => h.get(p.cluster),
      (c) => h.condition(c, "Reconciled")?.status === "False",
      30_000,
    ).catch(async (error: Error) => {
      const c = await h.get(p.cluster);
      throw new Error(`${error.message.slice(0, 80)}: ${JSON.stringify(c.status?.conditions)}`);
    });
    assert.match(h.condition(gone, "Reconciled")?.reason ?? "", /^(ApplyFailed|APINotServed)$/);
    crd.metadata = { name: serviceMonitorCrd };
    await world.kubectl(["create", "-f", "-"], JSON.stringify(crd));
    for (const component of components) {
      await until(`${component} ServiceMonitor back`, () => h.exists(p.serviceMonitor(component)), Boolean, 60_000);
    }
    await until(
      "Reconciled True",
      () => h.get(p.cluster),
      (c) => h.condition(c, "Reconciled")?.status === "True",
    );
    // Still watched: a deleted ServiceMonitor comes back.
    const monitor = await h.get(p.serviceMonitor("gateway"));
    await world.admin.delete(p.serviceMonitor("gateway"));
    const back = await until(
      "the ServiceMonitor restored",
      () => h.get(p.serviceMonitor("gateway")),
      (m) => m.metadata.uid !== monitor.metadata.uid,
      30_000,
    );
    assert.ok(back.metadata.uid);
  });
});
