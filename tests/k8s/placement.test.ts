// Placement and issue 13 item 9 (render side) on a real kube-apiserver: the CRD keeps affinity, spread
// constraints and priority class, the API server accepts the Deployments the operator renders from them, a
// partial resources override keeps the CPU request, cert-manager.io annotations sit on one Ingress only, and the
// dashboards ConfigMaps of two clusters do not share a Grafana uid.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { OperatorWorld, until } from "./operator-world.js";

interface PodSpec {
  affinity?: unknown;
  priorityClassName?: string;
  topologySpreadConstraints?: Array<{ topologyKey: string; whenUnsatisfiable: string; labelSelector?: unknown }>;
  containers: Array<{ image: string; resources?: { requests?: Record<string, string>; limits?: Record<string, string> } }>;
}
interface Deployment {
  spec: { template: { spec: PodSpec } };
}
interface Ingress {
  metadata: { name: string; annotations?: Record<string, string> };
}
interface ConfigMap {
  data?: Record<string, string>;
}

const ns = "im";
const digest = `sha256:${"0123456789abcdef".repeat(4)}`;
const affinity = {
  podAntiAffinity: {
    preferredDuringSchedulingIgnoredDuringExecution: [
      {
        weight: 100,
        podAffinityTerm: {
          topologyKey: "kubernetes.io/hostname",
          labelSelector: { matchLabels: { "app.kubernetes.io/component": "api" } },
        },
      },
    ],
  },
};

describe("placement, resources, cert-manager annotations and dashboard uids", { timeout: 600_000 }, () => {
  let world: OperatorWorld;
  before(async () => {
    world = await OperatorWorld.start();
    await world.startOperator("operator-a");
  });
  after(() => world?.stop());

  const get = <T>(path: string) => world.admin.get<T>(path);
  const deployment = (cluster: string, component: string) =>
    get<Deployment>(`/apis/apps/v1/namespaces/${ns}/deployments/${cluster}-${component}`);
  const applyCluster = (name: string, spec: Record<string, unknown>) =>
    world.kubectl(
      ["apply", "--server-side", "--field-manager=test-user", "-f", "-"],
      JSON.stringify({
        apiVersion: "im.platform.io/v1alpha1",
        kind: "ImCluster",
        metadata: { name, namespace: ns },
        spec: { version: "0.1.0", mongo: { secretName: "im-mongo" }, redis: { secretName: "im-redis" }, ...spec },
      }),
    );

  it("applies affinity, spread constraints, priority class, the image digest and defaulted resource leaves", async () => {
    await applyCluster("placed", {
      image: { digest },
      api: { affinity, priorityClassName: "im-critical" },
    });
    const api = (await until("the api Deployment", () => deployment("placed", "api"), Boolean)).spec.template.spec;
    assert.deepEqual(api.affinity, affinity, "the API server kept the affinity as given");
    assert.equal(api.priorityClassName, "im-critical");
    assert.equal(api.containers[0]?.image, `ghcr.io/im-platform/im-platform@${digest}`);
    const gateway = (await until("the gateway Deployment", () => deployment("placed", "gateway"), Boolean)).spec.template.spec;
    assert.deepEqual(
      gateway.topologySpreadConstraints?.map((c) => [c.topologyKey, c.whenUnsatisfiable]),
      [
        ["kubernetes.io/hostname", "ScheduleAnyway"],
        ["topology.kubernetes.io/zone", "ScheduleAnyway"],
      ],
    );
  });

  it("keeps the CPU request (CPU autoscaling needs it) when resources are overridden in part", async () => {
    await applyCluster("sized", {
      api: { resources: { limits: { memory: "2Gi" } }, autoscaling: { enabled: true, targetCPUUtilizationPercentage: 70 } },
      gateway: { resources: { requests: { memory: "3Gi" } } },
    });
    const api = (await until("the api Deployment", () => deployment("sized", "api"), Boolean)).spec.template.spec;
    assert.deepEqual(api.containers[0]?.resources, { requests: { cpu: "250m", memory: "256Mi" }, limits: { memory: "2Gi" } });
    const gateway = (await until("the gateway Deployment", () => deployment("sized", "gateway"), Boolean)).spec.template.spec;
    assert.deepEqual(gateway.containers[0]?.resources, { requests: { cpu: "500m", memory: "3Gi" }, limits: { memory: "3Gi" } });
  });

  it("puts cert-manager.io annotations on the first Ingress carrying the TLS Secret only", async () => {
    const spec = {
      ingress: {
        enabled: true,
        host: "im.example.com",
        tlsSecretName: "im-example-com-tls",
        annotations: { "cert-manager.io/cluster-issuer": "letsencrypt" },
      },
      objectStorage: { secretName: "im-storage" },
    };
    await applyCluster("one", spec);
    await applyCluster("two", spec);
    const ingresses = await until(
      "three Ingresses of cluster one",
      async () =>
        (
          await world.admin.get<{ items: Ingress[] }>(`/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses`, {
            labelSelector: "im.platform.io/cluster=one",
          })
        ).items,
      (items) => items.length === 3,
    );
    assert.deepEqual(
      ingresses.filter((i) => i.metadata.annotations?.["cert-manager.io/cluster-issuer"]).map((i) => i.metadata.name),
      ["one-api"],
    );
  });

  it("gives each cluster's dashboards ConfigMap its own Grafana uids", async () => {
    await applyCluster("three", { observability: { dashboards: { enabled: true } } });
    await applyCluster("four", { observability: { dashboards: { enabled: true } } });
    const uids = async (cluster: string) => {
      const map = await until(
        `${cluster}'s dashboards`,
        () => get<ConfigMap>(`/api/v1/namespaces/${ns}/configmaps/${cluster}-dashboards`),
        Boolean,
      );
      return Object.values(map.data ?? {}).map((json) => (JSON.parse(json) as { uid: string }).uid);
    };
    const one = await uids("three");
    const two = await uids("four");
    assert.ok(one.length > 0);
    assert.deepEqual(
      one.filter((uid) => two.includes(uid)),
      [],
      "no uid shared between the two clusters",
    );
    for (const uid of [...one, ...two]) assert.ok(uid.length <= 40, uid);
  });
});
