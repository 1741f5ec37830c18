// Issue 13, section C: optional kinds installed after the operator started (discovery refresh, APINotServed) and
// Secret rotation rolling exactly the components that read the Secret (metadata-only Secret informer).

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { configHashAnnotation } from "../../operator/src/index.js";
import { components, helpers, minimalSpec, type Obj, paths } from "./lifecycle-support.js";
import { OperatorWorld, until } from "./operator-world.js";

const ns = "im";
const serviceMonitorCrd = "servicemonitors.monitoring.coreos.com";

interface Deployment extends Obj {
  spec: { template: { metadata: { annotations?: Record<string, string> } } };
}

describe("operator inputs on a real kube-apiserver", { timeout: 600_000 }, () => {
  let world: OperatorWorld;
  let crd: string;
  const h = helpers(() => world);
  before(async () => {
    world = await OperatorWorld.start();
    // The Prometheus Operator is installed after im-operator (the usual order): its CRD is not there at start.
    crd = await world.kubectl(["get", "crd", serviceMonitorCrd, "-o", "json"]);
    await world.kubectl(["delete", "crd", serviceMonitorCrd, "--timeout=60s"]);
    await until(
      "monitoring.coreos.com/v1 no longer served",
      () => world.kubectl(["api-resources", "--api-group=monitoring.coreos.com", "-o", "name"]),
      (out) => !out.includes("servicemonitors"),
    );
    await h.createSecret(ns, "im-mongo", { url: "mongodb://mongo:27017/im" });
    await h.createSecret(ns, "im-redis", { url: "redis://redis:6379" });
    await h.createSecret(ns, "gw-token", { token: "one" });
    // The refresh is shortened so the test does not wait the default 60 s.
    await world.startOperator("operator-a", { OPERATOR_DISCOVERY_REFRESH_SECONDS: "2" });
  });
  after(() => world?.stop());

  const hashes = async (name: string) =>
    Object.fromEntries(
      await Promise.all(
        components.map(async (c) => [
          c,
          (await h.get<Deployment>(paths(ns, name).deployment(c))).spec.template.metadata.annotations?.[configHashAnnotation],
        ]),
      ),
    ) as Record<string, string>;

  it("reports a requested kind that is not served (Reconciled False APINotServed, Warning event), then creates it once its CRD is installed", async () => {
    const p = paths(ns, "mon");
    await h.applyCluster(ns, "mon", minimalSpec({ observability: { serviceMonitor: { enabled: true } } }));
    const waiting = await until(
      "Reconciled False APINotServed",
      () => h.get(p.cluster),
      (c) => h.condition(c, "Reconciled")?.reason === "APINotServed",
    );
    assert.equal(h.condition(waiting, "Reconciled")?.status, "False");
    assert.match(h.condition(waiting, "Reconciled")?.message ?? "", /ServiceMonitor \(monitoring\.coreos\.com\/v1\)/);
    assert.notEqual(h.condition(waiting, "Ready")?.status, "True");
    for (const path of p.children) assert.ok(await h.exists(path), `${path}: the rest is applied`);
    await until(
      "a Warning event APINotServed",
      () => h.events(ns, "mon"),
      (events) => events.some((e) => e.type === "Warning" && e.reason === "APINotServed"),
    );

    const installed = JSON.parse(crd) as { metadata: Record<string, unknown> };
    installed.metadata = { name: serviceMonitorCrd };
    await world.kubectl(["create", "-f", "-"], JSON.stringify(installed));
    for (const component of components) {
      await until(`the ${component} ServiceMonitor`, () => h.exists(p.serviceMonitor(component)), Boolean, 60_000);
    }
    await until(
      "Reconciled True",
      () => h.get(p.cluster),
      (c) => h.condition(c, "Reconciled")?.status === "True",
    );
    // The new kind is watched: a deleted ServiceMonitor comes back.
    const monitor = await h.get(p.serviceMonitor("gateway"));
    await world.admin.delete(p.serviceMonitor("gateway"));
    await until(
      "the ServiceMonitor restored",
      () => h.get(p.serviceMonitor("gateway")),
      (m) => m.metadata.uid !== monitor.metadata.uid,
    );
  });

  it("reports a referenced Secret that does not exist (Stalled SecretMissing, naming the component), cleared once it is created", async () => {
    const p = paths(ns, "nosec");
    const spec = minimalSpec({
      gateway: { extraEnv: [{ name: "GATEWAY_EXTRA", valueFrom: { secretKeyRef: { name: "not-yet", key: "value" } } }] },
    });
    await h.applyCluster(ns, "nosec", spec);
    const stalled = await until(
      "Stalled SecretMissing",
      () => h.get(p.cluster),
      (c) => h.condition(c, "Stalled")?.reason === "SecretMissing",
    );
    assert.match(h.condition(stalled, "Stalled")?.message ?? "", /gateway.*not-yet/);
    // The Secret informer sees it created and queues the cluster that reads it.
    await h.createSecret(ns, "not-yet", { value: "here" });
    await until(
      "Stalled no longer SecretMissing",
      () => h.get(p.cluster),
      (c) => h.condition(c, "Stalled")?.reason !== "SecretMissing",
    );
  });

  it("rolls exactly the components that read a rotated Secret (config-hash changes only there)", async () => {
    const spec = minimalSpec({
      gateway: { extraEnv: [{ name: "GATEWAY_TOKEN", valueFrom: { secretKeyRef: { name: "gw-token", key: "token" } } }] },
    });
    await h.applyCluster(ns, "rot", spec);
    for (const c of components) await until(c, () => h.exists(paths(ns, "rot").deployment(c)), Boolean);
    const first = await hashes("rot");

    await world.admin.mergePatch(`/api/v1/namespaces/${ns}/secrets/gw-token`, { stringData: { token: "two" } });
    const rotated = await until(
      "the gateway's hash moves",
      () => hashes("rot"),
      (now) => now.gateway !== first.gateway,
    );
    assert.equal(rotated.api, first.api, "the api does not read gw-token");
    assert.equal(rotated.scheduler, first.scheduler, "the scheduler does not read gw-token");

    await world.admin.mergePatch(`/api/v1/namespaces/${ns}/secrets/im-mongo`, { stringData: { url: "mongodb://other:27017/im" } });
    await until(
      "every hash moves (all read MONGO_URL)",
      () => hashes("rot"),
      (now) => components.every((c) => now[c] !== rotated[c]),
    );
  });

  it("keeps a Deployment's config hash while a Secret it reads is deleted (no rollout of pods that cannot start); its return rolls it", async () => {
    const spec = minimalSpec({
      gateway: { extraEnv: [{ name: "GATEWAY_TOKEN", valueFrom: { secretKeyRef: { name: "gw-gone", key: "token" } } }] },
    });
    await h.createSecret(ns, "gw-gone", { token: "one" });
    await h.applyCluster(ns, "del", spec);
    for (const c of components) await until(c, () => h.exists(paths(ns, "del").deployment(c)), Boolean);
    const first = await until(
      "the gateway hashed with gw-gone's version",
      () => hashes("del"),
      (now) => components.every((c) => now[c] !== undefined),
    );
    await world.admin.delete(`/api/v1/namespaces/${ns}/secrets/gw-gone`);
    await until(
      "Stalled SecretMissing",
      () => h.get(paths(ns, "del").cluster),
      (c) => h.condition(c, "Stalled")?.reason === "SecretMissing",
    );
    // The reconcile that saw the Secret gone applied the Deployments: every hash is still the one running.
    assert.deepEqual(await hashes("del"), first);
    await h.createSecret(ns, "gw-gone", { token: "two" });
    const back = await until(
      "the gateway's hash moves when the Secret is back",
      () => hashes("del"),
      (now) => now.gateway !== first.gateway,
    );
    assert.equal(back.api, first.api, "the api does not read gw-gone");
  });
});
