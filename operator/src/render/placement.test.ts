// Placement, image digest, partial resources, cert-manager annotations and dashboard uids in render (issue 13).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { imClusterSpecSchema } from "../spec/imcluster.js";
import type { KubeObject } from "./kube-object.js";
import { maxDashboardUid } from "./observability.js";
import { render } from "./render.js";
import { type Loose, sampleCluster, stubDashboards } from "./test-support.js";

const find = (objects: KubeObject[], kindName: string, name: string) => {
  const object = objects.find((o) => o.kind === kindName && o.metadata.name === name);
  assert.ok(object, `${kindName} ${name} rendered`);
  return object as KubeObject & { spec: Loose };
};
const podSpec = (objects: KubeObject[], name: string) => find(objects, "Deployment", name).spec.template.spec;
const gatewaySelector = {
  "app.kubernetes.io/name": "im-platform",
  "app.kubernetes.io/instance": "im",
  "app.kubernetes.io/component": "gateway",
};

describe("render placement", () => {
  it("spreads gateways across nodes and zones by default (ScheduleAnyway), and nothing else", () => {
    const objects = render(sampleCluster("imcluster-minimal"));
    assert.deepEqual(podSpec(objects, "im-gateway").topologySpreadConstraints, [
      {
        maxSkew: 1,
        topologyKey: "kubernetes.io/hostname",
        whenUnsatisfiable: "ScheduleAnyway",
        labelSelector: { matchLabels: gatewaySelector },
      },
      {
        maxSkew: 1,
        topologyKey: "topology.kubernetes.io/zone",
        whenUnsatisfiable: "ScheduleAnyway",
        labelSelector: { matchLabels: gatewaySelector },
      },
    ]);
    assert.equal(podSpec(objects, "im-api").topologySpreadConstraints, undefined);
    assert.equal(podSpec(objects, "im-gateway").affinity, undefined);
    assert.equal(podSpec(objects, "im-gateway").priorityClassName, undefined);
  });

  it("takes affinity, spread constraints (labelSelector defaulted to the component's pods) and priority class per component", () => {
    const affinity = {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: [{ key: "pool", operator: "In", values: ["realtime"] }] }],
        },
      },
    };
    const objects = render(
      sampleCluster("imcluster-minimal", (raw) => {
        raw.spec.gateway = { topologySpreadConstraints: [] };
        raw.spec.api = {
          affinity,
          priorityClassName: "im-critical",
          topologySpreadConstraints: [{ maxSkew: 2, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "DoNotSchedule" }],
        };
      }),
    );
    assert.equal(podSpec(objects, "im-gateway").topologySpreadConstraints, undefined, "[] turns the gateway's default off");
    const api = podSpec(objects, "im-api");
    assert.deepEqual(api.affinity, affinity);
    assert.equal(api.priorityClassName, "im-critical");
    assert.deepEqual(api.topologySpreadConstraints, [
      {
        maxSkew: 2,
        topologyKey: "topology.kubernetes.io/zone",
        whenUnsatisfiable: "DoNotSchedule",
        labelSelector: { matchLabels: { ...gatewaySelector, "app.kubernetes.io/component": "api" } },
      },
    ]);
  });

  it("runs repository@digest when image.digest is set, and refuses a malformed digest", () => {
    const digest = `sha256:${"ab".repeat(32)}`;
    const objects = render(sampleCluster("imcluster-minimal", (raw) => (raw.spec.image = { tag: "ignored", digest })));
    assert.equal(podSpec(objects, "im-api").containers[0].image, `ghcr.io/im-platform/im-platform@${digest}`);
    const base = sampleCluster("imcluster-minimal").spec;
    for (const bad of ["sha256:abc", `sha512:${"ab".repeat(32)}`, `sha256:${"AB".repeat(32)}`]) {
      assert.equal(imClusterSpecSchema.safeParse({ ...base, image: { digest: bad } }).success, false, bad);
    }
  });
});

describe("render resources", () => {
  const resources = (edit: (raw: Loose) => void) =>
    podSpec(render(sampleCluster("imcluster-minimal", edit)), "im-gateway").containers[0].resources;

  it("defaults every leaf a partial override leaves out, so a given limits.memory keeps the CPU request", () => {
    assert.deepEqual(
      resources((raw) => (raw.spec.gateway = { resources: { limits: { memory: "2Gi" } } })),
      { requests: { cpu: "500m", memory: "512Mi" }, limits: { memory: "2Gi" } },
    );
    assert.deepEqual(
      resources((raw) => (raw.spec.gateway = { resources: { requests: { cpu: 2 } } })),
      { requests: { cpu: 2, memory: "512Mi" }, limits: { memory: "1Gi" } },
    );
  });

  it("keeps a defaulted request within a given limit and a defaulted limit above a given request", () => {
    assert.deepEqual(
      resources((raw) => (raw.spec.gateway = { resources: { limits: { cpu: "200m", memory: "256Mi" } } })),
      { requests: { cpu: "200m", memory: "256Mi" }, limits: { cpu: "200m", memory: "256Mi" } },
    );
    assert.deepEqual(
      resources((raw) => (raw.spec.gateway = { resources: { requests: { memory: "4Gi" } } })),
      { requests: { cpu: "500m", memory: "4Gi" }, limits: { memory: "4Gi" } },
    );
  });
});

describe("render ingress and dashboards", () => {
  it("puts cert-manager.io annotations only on the first Ingress carrying the TLS Secret", () => {
    const objects = render(sampleCluster("imcluster-production"), { dashboards: stubDashboards });
    const ingresses = objects.filter((o) => o.kind === "Ingress");
    assert.ok(ingresses.length >= 2);
    const annotated = ingresses.filter((o) => Object.keys(o.metadata.annotations ?? {}).some((k) => k.startsWith("cert-manager.io/")));
    assert.deepEqual(
      annotated.map((o) => o.metadata.name),
      ["im-prod-api"],
    );
    for (const object of ingresses) assert.equal((object as Loose).spec.tls[0].secretName, "im-example-com-tls", `${object.metadata.name} serves TLS`);
  });

  it("makes dashboard uids (at most 40 characters) and titles unique per namespace and cluster", () => {
    const long = { "x.json": JSON.stringify({ uid: "u".repeat(40), title: "IM Platform / API" }) };
    const dashboardsOf = (edit: (raw: Loose) => void) => {
      const cluster = sampleCluster("imcluster-production", edit);
      const map = find(render(cluster, { dashboards: long }), "ConfigMap", `${cluster.metadata.name}-dashboards`);
      return JSON.parse((map as Loose).data["x.json"]) as { uid: string; title: string };
    };
    const a = dashboardsOf(() => {});
    const b = dashboardsOf((raw) => (raw.metadata.namespace = "other"));
    const c = dashboardsOf((raw) => (raw.metadata.name = "im-two"));
    assert.ok(a.uid.length <= maxDashboardUid, a.uid);
    assert.equal(new Set([a.uid, b.uid, c.uid]).size, 3);
    assert.equal(a.title, "IM Platform / API (im/im-prod)");
    assert.equal(b.title, "IM Platform / API (other/im-prod)");
  });
});
