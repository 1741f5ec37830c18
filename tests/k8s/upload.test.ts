// The operator's upload component on a real kube-apiserver: created with spec.objectStorage (Deployment, Service,
// Ingress with the media annotations, HPA, PDB), scaled by spec.upload, pruned when the storage goes.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { OperatorWorld, until } from "./operator-world.js";

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string } };
}
interface Obj {
  metadata: { name: string; annotations?: Record<string, string> };
  spec: Record<string, unknown>;
  status?: Record<string, unknown>;
}
interface Deployment extends Obj {
  spec: {
    replicas?: number;
    template: { spec: { containers: Array<{ command: string[]; env: EnvVar[]; ports: Array<{ name: string; containerPort: number }> }> } };
  };
}
interface Ingress extends Obj {
  spec: { rules: Array<{ host: string; http: { paths: Array<{ path: string; backend: { service: { name: string } } }> } }> };
}

const ns = "im";
const name = "media";
const paths = {
  cluster: `/apis/im.platform.io/v1alpha1/namespaces/${ns}/imclusters/${name}`,
  deployment: (c: string) => `/apis/apps/v1/namespaces/${ns}/deployments/${name}-${c}`,
  service: (c: string) => `/api/v1/namespaces/${ns}/services/${name}-${c}`,
  ingress: (c: string) => `/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses/${name}-${c}`,
  hpa: (c: string) => `/apis/autoscaling/v2/namespaces/${ns}/horizontalpodautoscalers/${name}-${c}`,
  pdb: (c: string) => `/apis/policy/v1/namespaces/${ns}/poddisruptionbudgets/${name}-${c}`,
};
const baseSpec = {
  version: "0.1.0",
  mongo: { secretName: "im-mongo" },
  redis: { secretName: "im-redis" },
  objectStorage: { secretName: "im-s3", publicEndpoint: "https://s3.example.com" },
  ingress: { enabled: true, host: "chat.example.com", className: "nginx", tlsSecretName: "chat-tls" },
};
const envMap = (deployment: Deployment) =>
  Object.fromEntries(deployment.spec.template.spec.containers[0]?.env.map((v) => [v.name, v.value ?? v.valueFrom]) ?? []);

describe("the operator's upload component on a real kube-apiserver", { timeout: 300_000 }, () => {
  let world: OperatorWorld;
  before(async () => {
    world = await OperatorWorld.start();
    await world.startOperator("operator-upload");
  });
  after(() => world?.stop());

  const get = <T = Obj>(path: string) => world.admin.get<T>(path);
  const exists = (path: string) => world.exists(path);
  const apply = (spec: Record<string, unknown>) =>
    world.kubectl(
      ["apply", "--server-side", "--field-manager=test-user", "-f", "-"],
      JSON.stringify({ apiVersion: "im.platform.io/v1alpha1", kind: "ImCluster", metadata: { name, namespace: ns }, spec }),
    );

  it("runs the upload app with the storage Secret, the public addresses and its own Ingress", async () => {
    await apply({ ...baseSpec, upload: { maxBodyMegabytes: 300, proxyTimeoutSeconds: 1200, downloadMode: "proxy" } });
    const upload = await until(
      "the upload Deployment",
      () => get<Deployment>(paths.deployment("upload")),
      () => true,
    );
    const container = upload.spec.template.spec.containers[0];
    assert.deepEqual(container?.command, ["node", "apps/upload/dist/main.js"]);
    assert.deepEqual(
      container?.ports.map((p) => [p.name, p.containerPort]),
      [["http", 8094]],
    );
    assert.equal(upload.spec.replicas, 2);
    const env = envMap(upload);
    assert.equal(env.UPLOAD_PORT, "8094");
    assert.equal(env.UPLOAD_DOWNLOAD_MODE, "proxy");
    assert.equal(env.UPLOAD_TRUST_PROXY, "1");
    assert.equal(env.MEDIA_PUBLIC_URL, "https://chat.example.com");
    assert.equal(env.S3_PUBLIC_ENDPOINT, "https://s3.example.com");
    for (const [variable, key] of [
      ["S3_ENDPOINT", "endpoint"],
      ["S3_BUCKET", "bucket"],
      ["S3_ACCESS_KEY_ID", "accessKeyId"],
      ["S3_SECRET_ACCESS_KEY", "secretAccessKey"],
    ] as const) {
      assert.deepEqual(env[variable], { secretKeyRef: { name: "im-s3", key } }, variable);
    }
    assert.deepEqual(env.MONGO_URL, { secretKeyRef: { name: "im-mongo", key: "url" } });
    assert.deepEqual(env.REDIS_URL, { secretKeyRef: { name: "im-redis", key: "url" } });

    const service = await get<Obj>(paths.service("upload"));
    assert.deepEqual(
      (service.spec.ports as Array<{ name: string; port: number }>).map((p) => [p.name, p.port]),
      [
        ["http", 8094],
        ["metrics", 9090],
      ],
    );

    const ingress = await until(
      "the upload Ingress",
      () => get<Ingress>(paths.ingress("upload")),
      () => true,
    );
    const rule = ingress.spec.rules[0];
    assert.equal(rule?.host, "chat.example.com");
    assert.deepEqual(
      rule?.http.paths.map((p) => [p.path, p.backend.service.name]),
      [
        ["/v1/uploads", "media-upload"],
        ["/v1/media", "media-upload"],
        ["/v1/avatars", "media-upload"],
      ],
    );
    const annotations = ingress.metadata.annotations ?? {};
    assert.equal(annotations["nginx.ingress.kubernetes.io/proxy-body-size"], "300m");
    assert.equal(annotations["nginx.ingress.kubernetes.io/proxy-request-buffering"], "off");
    assert.equal(annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"], "1200");
    assert.equal(annotations["nginx.ingress.kubernetes.io/proxy-send-timeout"], "1200");
    const api = await get<Ingress>(paths.ingress("api"));
    assert.equal(api.metadata.annotations?.["nginx.ingress.kubernetes.io/proxy-body-size"], "8m", "the API's Ingress keeps its limit");
    assert.equal(api.metadata.annotations?.["nginx.ingress.kubernetes.io/proxy-request-buffering"], undefined);

    const apiEnv = envMap(await get<Deployment>(paths.deployment("api")));
    assert.equal(apiEnv.MEDIA_PUBLIC_URL, "https://chat.example.com", "GET /v1/config serves the media URLs from it");
    assert.equal(envMap(await get<Deployment>(paths.deployment("gateway"))).MEDIA_PUBLIC_URL, "https://chat.example.com");
    assert.deepEqual(envMap(await get<Deployment>(paths.deployment("scheduler"))).S3_ENDPOINT, {
      secretKeyRef: { name: "im-s3", key: "endpoint" },
    });
    const cluster = await until(
      "upload in the status",
      () => get<Obj>(paths.cluster),
      (c) => Boolean((c.status?.components as Record<string, unknown> | undefined)?.upload),
    );
    assert.deepEqual(Object.keys(cluster.status?.components as object).sort(), ["api", "gateway", "scheduler", "upload"]);
  });

  it("scales with spec.upload: replicas, then an autoscaler and a disruption budget", async () => {
    await apply({ ...baseSpec, upload: { replicas: 4 } });
    await until(
      "upload replicas 4",
      () => get<Deployment>(paths.deployment("upload")),
      (d) => d.spec.replicas === 4,
    );
    await apply({
      ...baseSpec,
      upload: { autoscaling: { enabled: true, minReplicas: 3, maxReplicas: 9 }, podDisruptionBudget: { maxUnavailable: 1 } },
    });
    const hpa = await until(
      "the upload HPA",
      () => get<Obj>(paths.hpa("upload")),
      () => true,
    );
    assert.equal(hpa.spec.minReplicas, 3);
    assert.equal(hpa.spec.maxReplicas, 9);
    assert.deepEqual(hpa.spec.scaleTargetRef, { apiVersion: "apps/v1", kind: "Deployment", name: "media-upload" });
    const pdb = await until(
      "the upload PDB",
      () => get<Obj>(paths.pdb("upload")),
      () => true,
    );
    assert.equal(pdb.spec.maxUnavailable, 1);
    // The autoscaler owns the count now: the operator no longer sets spec.replicas.
    await apply({ ...baseSpec, upload: { replicas: 5 } });
    await until(
      "HPA and PDB pruned, replicas back",
      async () => ({
        hpa: await exists(paths.hpa("upload")),
        pdb: await exists(paths.pdb("upload")),
        replicas: (await get<Deployment>(paths.deployment("upload"))).spec.replicas,
      }),
      (s) => !s.hpa && !s.pdb && s.replicas === 5,
    );
  });

  it("takes the upload app away when spec.objectStorage goes, and the scheduler's S3 settings with it", async () => {
    const { objectStorage: _storage, ...withoutStorage } = baseSpec;
    await apply(withoutStorage);
    await until(
      "upload objects pruned",
      async () => Promise.all([paths.deployment, paths.service, paths.ingress].map((path) => exists(path("upload")))),
      (present) => present.every((p) => !p),
    );
    const scheduler = await until(
      "the scheduler without S3_*",
      () => get<Deployment>(paths.deployment("scheduler")),
      (d) => envMap(d).S3_ENDPOINT === undefined,
    );
    assert.ok(scheduler);
    const cluster = await until(
      "upload gone from the status",
      () => get<Obj>(paths.cluster),
      (c) => !(c.status?.components as Record<string, unknown> | undefined)?.upload,
    );
    assert.equal(
      ((cluster.status?.conditions ?? []) as Array<{ type: string; status: string }>).find((c) => c.type === "Reconciled")?.status,
      "True",
    );
  });
});
