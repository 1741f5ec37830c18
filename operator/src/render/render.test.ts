import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { apiVersion, kind } from "../crd/constants.js";
import { childKinds } from "./child-kinds.js";
import { components } from "./components.js";
import type { KubeObject } from "./kube-object.js";
import { clusterLabel, configHashAnnotation } from "./metadata.js";
import { messageShardsInForce, render } from "./render.js";
import { type Loose, sampleCluster, stubDashboards } from "./test-support.js";

const find = (objects: KubeObject[], kindName: string, name: string) => {
  const object = objects.find((o) => o.kind === kindName && o.metadata.name === name);
  assert.ok(object, `${kindName} ${name} rendered`);
  return object as KubeObject & { spec: Loose };
};
const hashes = (objects: KubeObject[]) =>
  Object.fromEntries(
    objects
      .filter((o) => o.kind === "Deployment")
      .map((o) => [o.metadata.name, (o as Loose).spec.template.metadata.annotations[configHashAnnotation] as string]),
  );
const changed = (before: Record<string, string>, after: Record<string, string>) =>
  Object.keys(before)
    .filter((name) => before[name] !== after[name])
    .sort();

describe("render", () => {
  const production = render(sampleCluster("imcluster-production"), { dashboards: stubDashboards });
  const minimal = render(sampleCluster("imcluster-minimal"));

  it("owns and labels every object, and renders only child kinds", () => {
    for (const object of [...production, ...minimal]) {
      const id = `${object.kind} ${object.metadata.name}`;
      assert.deepEqual(
        object.metadata.ownerReferences,
        [
          {
            apiVersion,
            kind,
            name: object.metadata.labels?.[clusterLabel],
            uid: "00000000-0000-4000-8000-000000000001",
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
        id,
      );
      assert.ok(object.metadata.labels?.[clusterLabel], id);
      assert.equal(object.metadata.labels?.["app.kubernetes.io/managed-by"], "im-operator", id);
      assert.equal(object.metadata.namespace, "im", id);
      assert.ok(
        childKinds.some((c) => c.apiVersion === object.apiVersion && c.kind === object.kind),
        `${id} is a child kind`,
      );
    }
  });

  it("renders one Deployment and Service per component", () => {
    for (const name of Object.keys(components)) {
      find(minimal, "Deployment", `im-${name}`);
      find(minimal, "Service", `im-${name}`);
    }
    assert.deepEqual(minimal.map((o) => o.kind).sort(), [
      "ConfigMap",
      "Deployment",
      "Deployment",
      "Deployment",
      "Service",
      "Service",
      "Service",
    ]);
  });

  it("leaves spec.replicas to the HPA when autoscaling is on", () => {
    const api = find(production, "Deployment", "im-prod-api");
    assert.equal("replicas" in api.spec, false);
    assert.equal(find(production, "HorizontalPodAutoscaler", "im-prod-api").spec.minReplicas, 3);
    assert.equal(find(production, "Deployment", "im-prod-scheduler").spec.replicas, 2);
    assert.equal(find(minimal, "Deployment", "im-api").spec.replicas, 2);
  });

  it("scales the gateway on connections per pod", () => {
    const hpa = find(production, "HorizontalPodAutoscaler", "im-prod-gateway");
    assert.deepEqual(hpa.spec.metrics[1], {
      type: "Pods",
      pods: { metric: { name: "im_connected_devices" }, target: { type: "AverageValue", averageValue: "5000" } },
    });
  });

  it("adds cookie affinity to the gateway Ingress only when polling is allowed", () => {
    const affinity = "nginx.ingress.kubernetes.io/affinity";
    assert.equal(find(production, "Ingress", "im-prod-gateway").metadata.annotations?.[affinity], undefined);
    const polling = render(
      sampleCluster("imcluster-production", (raw) => (raw.spec.gateway.allowPolling = true)),
      { dashboards: stubDashboards },
    );
    assert.equal(find(polling, "Ingress", "im-prod-gateway").metadata.annotations?.[affinity], "cookie");
    assert.equal(find(polling, "Ingress", "im-prod-api").metadata.annotations?.[affinity], undefined);
    assert.equal(
      find(polling, "Ingress", "im-prod-gateway").metadata.annotations?.["nginx.ingress.kubernetes.io/proxy-read-timeout"],
      "3600",
    );
  });

  it("changes the config hash only of the components whose inputs changed", () => {
    const base = hashes(production);
    const edit = (change: (raw: Loose) => void, options = {}) =>
      changed(base, hashes(render(sampleCluster("imcluster-production", change), { dashboards: stubDashboards, ...options })));
    assert.deepEqual(
      edit((raw) => (raw.spec.config.logLevel = "debug")),
      ["im-prod-api", "im-prod-gateway", "im-prod-scheduler"],
    );
    assert.deepEqual(
      edit((raw) => (raw.spec.gateway.allowPolling = true)),
      ["im-prod-gateway"],
    );
    assert.deepEqual(
      edit((raw) => (raw.spec.ingress.enabled = false)),
      ["im-prod-api"],
    );
    assert.deepEqual(
      edit((raw) => raw.spec.scheduler.extraEnv.push({ name: "X", value: "1" })),
      ["im-prod-scheduler"],
    );
    assert.deepEqual(
      edit((raw) => (raw.spec.gateway.autoscaling.maxReplicas = 50)),
      [],
    );
    assert.deepEqual(
      edit(() => {}, { secretVersions: { "im-mongo": "42" } }),
      ["im-prod-api", "im-prod-gateway", "im-prod-scheduler"],
    );
    assert.deepEqual(
      edit(() => {}, { secretVersions: { "im-object-storage": "7" } }),
      [],
    );
  });

  it("lets extraEnv replace an operator variable in place", () => {
    const objects = render(
      sampleCluster("imcluster-minimal", (raw) => (raw.spec.api = { extraEnv: [{ name: "API_TRUST_PROXY", value: "2" }] })),
    );
    const env = find(objects, "Deployment", "im-api").spec.template.spec.containers[0].env as { name: string; value?: string }[];
    assert.equal(env.filter((v) => v.name === "API_TRUST_PROXY").length, 1);
    assert.equal(env.find((v) => v.name === "API_TRUST_PROXY")?.value, "2");
  });

  it("keeps the shard count in force when the change is refused", () => {
    const withStatus = (shards: number, migration?: object) =>
      sampleCluster("imcluster-minimal", (raw) => {
        raw.spec.messageShards = shards;
        if (migration) raw.spec.messageShardsMigration = migration;
        raw.status = { shardLayout: { messageShards: 8, since: "2026-01-01T00:00:00Z" } };
      });
    const shards = (cluster: ReturnType<typeof withStatus>) =>
      find(render(cluster), "ConfigMap", "im-config").data as Record<string, string>;
    assert.equal(messageShardsInForce(withStatus(4)), 8);
    assert.equal(shards(withStatus(16)).MESSAGE_SHARDS, "8");
    assert.equal(shards(withStatus(16, { from: 8, to: 16 })).MESSAGE_SHARDS, "16");
  });

  it("needs the dashboards when they are enabled", () => {
    assert.throws(() => render(sampleCluster("imcluster-production")), /RenderOptions\.dashboards/);
    const dashboards = find(production, "ConfigMap", "im-prod-dashboards");
    assert.equal(dashboards.metadata.labels?.grafana_dashboard, "1");
    assert.deepEqual(Object.keys(dashboards.data as object), ["api.json", "gateway.json"]);
  });

  it("runs non-root on a read-only root filesystem, without service links", () => {
    for (const deployment of production.filter((o) => o.kind === "Deployment") as Loose[]) {
      const pod = deployment.spec.template.spec;
      assert.equal(pod.securityContext.runAsNonRoot, true);
      assert.equal(pod.enableServiceLinks, false);
      assert.equal(pod.containers[0].securityContext.readOnlyRootFilesystem, true);
    }
  });
});
