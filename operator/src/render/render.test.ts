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

  it("renders one Deployment and Service per component; upload only with object storage, push only when enabled", () => {
    for (const name of Object.keys(components)) {
      if (name === "upload" || name === "push") continue;
      find(minimal, "Deployment", `im-${name}`);
      find(minimal, "Service", `im-${name}`);
    }
    assert.equal(
      minimal.find((o) => o.metadata.name === "im-upload"),
      undefined,
      "no upload app without spec.objectStorage",
    );
    for (const kind of ["Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget", "Ingress", "ServiceMonitor"]) {
      find(production, kind, "im-prod-upload");
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
      ["im-prod-api", "im-prod-gateway", "im-prod-push", "im-prod-scheduler", "im-prod-upload"],
    );
    assert.deepEqual(
      edit((raw) => (raw.spec.gateway.allowPolling = true)),
      ["im-prod-gateway"],
    );
    assert.deepEqual(
      edit((raw) => (raw.spec.ingress.enabled = false)),
      ["im-prod-api", "im-prod-gateway", "im-prod-upload"],
      "trust proxy and MEDIA_PUBLIC_URL",
    );
    assert.deepEqual(
      edit((raw) => (raw.spec.upload.downloadMode = "proxy")),
      ["im-prod-upload"],
    );
    assert.deepEqual(
      edit((raw) => (raw.spec.upload.maxBodyMegabytes = 50)),
      [],
      "an ingress annotation rolls no pod",
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
      ["im-prod-api", "im-prod-gateway", "im-prod-push", "im-prod-scheduler", "im-prod-upload"],
    );
    assert.deepEqual(
      edit(() => {}, { secretVersions: { "im-object-storage": "7" } }),
      ["im-prod-scheduler", "im-prod-upload"],
      "the storage users",
    );
  });

  it("runs the upload app on the storage Secret, with MEDIA_PUBLIC_URL for the apps that build or serve media URLs", () => {
    const envOf = (objects: KubeObject[], name: string) =>
      Object.fromEntries(
        (
          find(objects, "Deployment", name).spec.template.spec.containers[0].env as { name: string; value?: string; valueFrom?: Loose }[]
        ).map((v) => [v.name, v.value ?? v.valueFrom]),
      );
    const upload = envOf(production, "im-prod-upload");
    assert.equal(upload.UPLOAD_PORT, "8094");
    assert.equal(upload.UPLOAD_TRUST_PROXY, "1");
    assert.equal(upload.UPLOAD_DOWNLOAD_MODE, "redirect");
    assert.equal(upload.MEDIA_PUBLIC_URL, "https://im.example.com", "the TLS ingress host");
    assert.equal(upload.S3_PUBLIC_ENDPOINT, "https://media.example.com");
    assert.deepEqual(upload.S3_ENDPOINT, { secretKeyRef: { name: "im-object-storage", key: "endpoint" } });
    assert.deepEqual(upload.S3_SECRET_ACCESS_KEY, { secretKeyRef: { name: "im-object-storage", key: "secretAccessKey" } });
    assert.deepEqual(upload.MONGO_URL, { secretKeyRef: { name: "im-mongo", key: "url" } });
    assert.equal(envOf(production, "im-prod-api").MEDIA_PUBLIC_URL, "https://im.example.com");
    assert.equal(envOf(production, "im-prod-gateway").MEDIA_PUBLIC_URL, "https://im.example.com");
    assert.deepEqual(envOf(production, "im-prod-scheduler").S3_BUCKET, { secretKeyRef: { name: "im-object-storage", key: "bucket" } });
    assert.equal(envOf(production, "im-prod-api").S3_ENDPOINT, undefined, "the API does not touch the storage");
    assert.equal(envOf(minimal, "im-scheduler").S3_ENDPOINT, undefined, "no storage, no S3_*");
    assert.equal(envOf(minimal, "im-api").MEDIA_PUBLIC_URL, "http://im-upload.im.svc:8094", "no ingress: the in-cluster address");

    const container = find(production, "Deployment", "im-prod-upload").spec.template.spec.containers[0];
    assert.deepEqual(container.command, ["node", "apps/upload/dist/main.js"]);
    assert.deepEqual(container.ports, [{ name: "http", containerPort: 8094, protocol: "TCP" }]);
    assert.equal(container.readinessProbe.httpGet.path, "/readyz");
    assert.equal(find(production, "HorizontalPodAutoscaler", "im-prod-upload").spec.maxReplicas, 8);
    assert.equal(find(production, "PodDisruptionBudget", "im-prod-upload").spec.minAvailable, 1);

    const own = render(
      sampleCluster("imcluster-production", (raw) => {
        raw.spec.upload.publicUrl = "https://media-app.example.com/";
        raw.spec.objectStorage = { secretName: "s3", publicEndpointKey: "public", region: "eu-west-1" };
      }),
      { dashboards: stubDashboards },
    );
    assert.equal(envOf(own, "im-prod-gateway").MEDIA_PUBLIC_URL, "https://media-app.example.com");
    assert.deepEqual(envOf(own, "im-prod-upload").S3_PUBLIC_ENDPOINT, { secretKeyRef: { name: "s3", key: "public" } });
    assert.equal(envOf(own, "im-prod-upload").S3_REGION, "eu-west-1");
    assert.throws(() =>
      sampleCluster("imcluster-production", (raw) => {
        raw.spec.objectStorage.publicEndpointKey = "public";
      }),
    );
  });

  it("routes the upload and download paths to the upload app, with media annotations on its Ingress only", () => {
    const upload = find(production, "Ingress", "im-prod-upload");
    const paths = upload.spec.rules[0].http.paths as Loose[];
    assert.deepEqual(
      paths.map((p) => p.path),
      ["/v1/uploads", "/v1/media", "/v1/avatars"],
    );
    for (const path of paths) assert.deepEqual(path.backend, { service: { name: "im-prod-upload", port: { name: "http" } } });
    const nginx = "nginx.ingress.kubernetes.io";
    assert.deepEqual(Object.fromEntries(Object.entries(upload.metadata.annotations ?? {}).filter(([key]) => key.startsWith(nginx))), {
      [`${nginx}/proxy-body-size`]: "512m",
      [`${nginx}/proxy-request-buffering`]: "off",
      [`${nginx}/proxy-buffering`]: "off",
      [`${nginx}/proxy-read-timeout`]: "900",
      [`${nginx}/proxy-send-timeout`]: "900",
    });
    // The user's cert-manager.io annotations stay on the first Ingress only (placement.test.ts).
    assert.equal(upload.metadata.annotations?.["cert-manager.io/cluster-issuer"], undefined, "one Certificate per TLS Secret");
    const api = find(production, "Ingress", "im-prod-api").metadata.annotations ?? {};
    assert.equal(api[`${nginx}/proxy-body-size`], "8m", "the API keeps the small body limit");
    assert.equal(api[`${nginx}/proxy-request-buffering`], undefined);
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
