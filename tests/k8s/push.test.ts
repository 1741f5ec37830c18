// The operator's push component on a real kube-apiserver: off until spec.push.enabled; then its Deployment
// (the push app's settings, provider Secrets mounted as files or passed as env), Service, HPA on CPU and the
// External queue lag metric, PDB, PUSH_ENABLED on every app; refused specs; pruned when push is turned off.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { loadApiConfig } from "@im/api";
import { loadGatewayConfig } from "@im/gateway";
import { loadPushConfig } from "@im/push-app";
import { loadSchedulerConfig } from "@im/scheduler";
import { helm } from "@im/testing";
import { loadUploadConfig } from "@im/upload";
import { imClusterSchema, type KubeObject, render } from "../../operator/src/index.js";
import { OperatorWorld, root, until } from "./operator-world.js";

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: Record<string, unknown>;
}
interface Obj {
  metadata: {
    name: string;
    uid?: string;
    annotations?: Record<string, string>;
    managedFields?: Array<{ manager: string; fieldsV1?: unknown }>;
  };
  spec: Record<string, unknown>;
  data?: Record<string, string>;
  status?: Record<string, unknown>;
}
interface PodSpec {
  securityContext: { fsGroup?: number };
  volumes: Array<{ name: string; secret?: { secretName: string; items: unknown[] }; configMap?: { name: string } }>;
  containers: Array<{
    command: string[];
    env: EnvVar[];
    ports: Array<{ name: string; containerPort: number }>;
    readinessProbe: { httpGet: { path: string; port: string } };
    volumeMounts: Array<{ name: string; mountPath: string; readOnly?: boolean }>;
  }>;
}
interface Deployment extends Obj {
  spec: { replicas?: number; template: { metadata: { annotations: Record<string, string> }; spec: PodSpec } };
}

const ns = "im";
const name = "notify";
const paths = {
  cluster: `/apis/im.platform.io/v1alpha1/namespaces/${ns}/imclusters/${name}`,
  configMap: `/api/v1/namespaces/${ns}/configmaps/${name}-config`,
  deployment: (c: string) => `/apis/apps/v1/namespaces/${ns}/deployments/${name}-${c}`,
  service: (c: string) => `/api/v1/namespaces/${ns}/services/${name}-${c}`,
  hpa: (c: string) => `/apis/autoscaling/v2/namespaces/${ns}/horizontalpodautoscalers/${name}-${c}`,
  pdb: (c: string) => `/apis/policy/v1/namespaces/${ns}/poddisruptionbudgets/${name}-${c}`,
};
const baseSpec = { version: "0.1.0", mongo: { secretName: "im-mongo" }, redis: { secretName: "im-redis" } };
const apns = { secretRef: { name: "push-apns" }, keyId: "ABC123DEFG", teamId: "DEF123GHIJ" };
const pushSpec = {
  enabled: true,
  queueMaxLength: 50_000,
  logRetentionDays: 14,
  autoscaling: { enabled: true, minReplicas: 2, maxReplicas: 6, targetQueueLagPerPod: 1000 },
  podDisruptionBudget: { maxUnavailable: 1 },
  providers: {
    apns,
    fcm: { secretRef: { name: "push-fcm", key: "sa.json" }, mountAs: "env" },
    huawei: { appId: "104857600", secretRef: { name: "push-huawei" } },
    xiaomi: { secretRef: { name: "push-xiaomi" }, url: "https://sgp-api.xmpush.global.xiaomi.com" },
    ca: { secretName: "egress-ca" },
  },
  worker: { concurrency: 32 },
};
const envMap = (deployment: Deployment) =>
  Object.fromEntries(deployment.spec.template.spec.containers[0]?.env.map((v) => [v.name, v.value ?? v.valueFrom]) ?? []);
const components = ["api", "gateway", "scheduler"];

/** Fake values for the Secret keys the rendered env references (the apps check their shape, not their truth). */
const secretValues: Record<string, string> = {
  MONGO_URL: "mongodb://mongo.im:27017/im",
  REDIS_URL: "redis://redis.im:6379",
  S3_ENDPOINT: "http://minio.im:9000",
  S3_BUCKET: "im-media",
  S3_ACCESS_KEY_ID: "im",
  S3_SECRET_ACCESS_KEY: "secret-key",
  PUSH_APNS_KEY: "-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----\n",
  PUSH_FCM_SERVICE_ACCOUNT: '{"type":"service_account"}',
  PUSH_HUAWEI_CLIENT_SECRET: "hw-secret",
  PUSH_XIAOMI_APP_SECRET: "mi-secret",
};

/** The environment a rendered Deployment's container gets, as the kubelet would resolve it. */
function resolvedEnv(objects: KubeObject[], deployment: string): Record<string, string> {
  const configMap = objects.find((o) => o.kind === "ConfigMap" && o.metadata.name.endsWith("-config")) as KubeObject & {
    data: Record<string, string>;
  };
  const found = objects.find((o) => o.kind === "Deployment" && o.metadata.name === deployment) as unknown as Deployment | undefined;
  assert.ok(found, deployment);
  const env: Record<string, string> = {};
  for (const variable of found.spec.template.spec.containers[0]?.env ?? []) {
    const from = variable.valueFrom as { configMapKeyRef?: { key: string }; secretKeyRef?: unknown; fieldRef?: unknown } | undefined;
    if (variable.value !== undefined) env[variable.name] = variable.value;
    else if (from?.configMapKeyRef) env[variable.name] = configMap.data[from.configMapKeyRef.key] as string;
    else if (from?.secretKeyRef) env[variable.name] = secretValues[variable.name] ?? assert.fail(`no fake value for ${variable.name}`);
    else if (from?.fieldRef) env[variable.name] = `${deployment}-7d9f8c6b5-x2x4z`;
  }
  return env;
}

describe("the apps accept what the operator sets for push", () => {
  const cluster = (push: Record<string, unknown>) =>
    imClusterSchema.parse({
      apiVersion: "im.platform.io/v1alpha1",
      kind: "ImCluster",
      metadata: { name: "im", namespace: "im", uid: "00000000-0000-4000-8000-000000000002" },
      spec: { ...baseSpec, objectStorage: { secretName: "im-s3" }, push },
    });

  it("the push app loads its rendered settings (files and env credentials, worker settings) and every app reads PUSH_ENABLED", () => {
    for (const providers of [
      pushSpec.providers,
      { ...pushSpec.providers, apns: { ...apns, mountAs: "env" }, fcm: { secretRef: { name: "f" } } },
    ]) {
      const objects = render(cluster({ ...pushSpec, providers, worker: { batch: 8, claimIdleMs: 5000, callTtlSeconds: 30 } }));
      const config = loadPushConfig(resolvedEnv(objects, "im-push"));
      assert.equal(config.PUSH_ENABLED, true);
      assert.equal(config.PUSH_QUEUE_MAX_LENGTH, 50_000);
      assert.equal(config.PUSH_PORT, 9472);
      assert.equal(config.PUSH_CONSUMER, "im-push-7d9f8c6b5-x2x4z");
      assert.equal(config.PUSH_BATCH, 8);
      assert.equal(config.PUSH_CLAIM_IDLE_MS, 5000);
      assert.equal(config.PUSH_CALL_TTL_SECONDS, 30);
      assert.equal(config.PUSH_LOG_RETENTION_DAYS, 14);
      assert.equal(config.PUSH_APNS_KEY_ID, "ABC123DEFG");
      assert.equal(config.PUSH_XIAOMI_URL, "https://sgp-api.xmpush.global.xiaomi.com");
      assert.equal(config.PUSH_CA_FILE, "/etc/im-push/ca/ca.pem");
    }
    const objects = render(cluster(pushSpec));
    assert.equal(loadApiConfig(resolvedEnv(objects, "im-api")).PUSH_ENABLED, true);
    assert.equal(loadGatewayConfig(resolvedEnv(objects, "im-gateway")).PUSH_ENABLED, true);
    assert.equal(loadUploadConfig(resolvedEnv(objects, "im-upload")).PUSH_ENABLED, true);
    assert.equal(loadSchedulerConfig(resolvedEnv(objects, "im-scheduler")).PUSH_ENABLED, true);
    assert.equal(loadGatewayConfig(resolvedEnv(objects, "im-gateway")).PUSH_QUEUE_MAX_LENGTH, 50_000);
    const off = render(cluster({ ...pushSpec, enabled: false }));
    assert.equal(loadGatewayConfig(resolvedEnv(off, "im-gateway")).PUSH_ENABLED, false);
  });
});

describe("the operator's push component on a real kube-apiserver", { timeout: 300_000 }, () => {
  let world: OperatorWorld;
  before(async () => {
    world = await OperatorWorld.start();
    await world.startOperator("operator-push");
  });
  after(() => world?.stop());

  const get = <T = Obj>(path: string) => world.admin.get<T>(path);
  const exists = (path: string) => world.exists(path);
  const apply = (spec: Record<string, unknown>) =>
    world.kubectl(
      ["apply", "--server-side", "--field-manager=test-user", "-f", "-"],
      JSON.stringify({ apiVersion: "im.platform.io/v1alpha1", kind: "ImCluster", metadata: { name, namespace: ns }, spec }),
    );
  const statusComponents = async () => Object.keys(((await get(paths.cluster)).status?.components as object | undefined) ?? {}).sort();

  it("runs no push app and sets no PUSH_ENABLED while push is off", async () => {
    await apply(baseSpec);
    await until("the cluster reconciled", statusComponents, (c) => c.length === 3);
    assert.deepEqual(await statusComponents(), ["api", "gateway", "scheduler"]);
    assert.equal(await exists(paths.deployment("push")), false);
    const config = await get(paths.configMap);
    assert.deepEqual(
      Object.keys(config.data ?? {}).filter((key) => key.startsWith("PUSH_")),
      [],
    );
  });

  it("runs the push app with its providers' Secrets as files and env, and turns queueing on in every app", async () => {
    await apply({ ...baseSpec, push: pushSpec });
    const push = await until(
      "the push Deployment",
      () => get<Deployment>(paths.deployment("push")),
      () => true,
    );
    const pod = push.spec.template.spec;
    const container = pod.containers[0];
    assert.deepEqual(container?.command, ["node", "apps/push/dist/main.js"]);
    assert.deepEqual(
      container?.ports.map((p) => [p.name, p.containerPort]),
      [["metrics", 9472]],
    );
    assert.equal(container?.readinessProbe.httpGet.path, "/readyz");
    assert.equal(container?.readinessProbe.httpGet.port, "metrics");
    const operatorFields = push.metadata.managedFields?.find((f) => f.manager === "im-operator")?.fieldsV1 as
      | { "f:spec"?: Record<string, unknown> }
      | undefined;
    assert.ok(operatorFields?.["f:spec"], "the operator applied the Deployment");
    assert.equal("f:replicas" in (operatorFields["f:spec"] ?? {}), false, "the autoscaler owns the count, not the operator");
    const env = envMap(push);
    assert.equal(env.PUSH_PORT, "9472");
    assert.deepEqual(env.PUSH_CONSUMER, { fieldRef: { apiVersion: "v1", fieldPath: "metadata.name" } });
    assert.equal(env.PUSH_CONCURRENCY, "32");
    assert.equal(env.PUSH_LOG_RETENTION_DAYS, "14");
    assert.equal(env.PUSH_APNS_KEY_FILE, "/etc/im-push/apns/key.p8");
    assert.equal(env.PUSH_APNS_KEY_ID, "ABC123DEFG");
    assert.equal(env.PUSH_APNS_TEAM_ID, "DEF123GHIJ");
    assert.deepEqual(env.PUSH_FCM_SERVICE_ACCOUNT, { secretKeyRef: { name: "push-fcm", key: "sa.json" } });
    assert.equal(env.PUSH_FCM_SERVICE_ACCOUNT_FILE, undefined);
    assert.equal(env.PUSH_HUAWEI_APP_ID, "104857600");
    assert.deepEqual(env.PUSH_HUAWEI_CLIENT_SECRET, { secretKeyRef: { name: "push-huawei", key: "clientSecret" } });
    assert.deepEqual(env.PUSH_XIAOMI_APP_SECRET, { secretKeyRef: { name: "push-xiaomi", key: "appSecret" } });
    assert.equal(env.PUSH_XIAOMI_URL, "https://sgp-api.xmpush.global.xiaomi.com");
    assert.equal(env.PUSH_CA_FILE, "/etc/im-push/ca/ca.pem");
    assert.deepEqual(env.MONGO_URL, { secretKeyRef: { name: "im-mongo", key: "url" } });
    assert.deepEqual(env.PUSH_ENABLED, { configMapKeyRef: { name: `${name}-config`, key: "PUSH_ENABLED" } });
    assert.deepEqual(
      pod.volumes.map((v) => [v.name, v.secret?.secretName ?? v.configMap?.name ?? "emptyDir"]),
      [
        ["tmp", "emptyDir"],
        ["push-apns", "push-apns"],
        ["push-ca", "egress-ca"],
      ],
    );
    assert.deepEqual(
      container?.volumeMounts.filter((m) => m.readOnly).map((m) => m.mountPath),
      ["/etc/im-push/apns", "/etc/im-push/ca"],
    );
    assert.equal(pod.securityContext.fsGroup, 1000);

    const service = await get(paths.service("push"));
    assert.deepEqual(
      (service.spec.ports as Array<{ name: string; port: number }>).map((p) => [p.name, p.port]),
      [["metrics", 9472]],
    );
    // The API server accepted the External metric as autoscaling/v2 declares it.
    const hpa = await until(
      "the push HPA",
      () => get(paths.hpa("push")),
      () => true,
    );
    assert.deepEqual(hpa.spec.metrics, [
      { type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 80 } } },
      {
        type: "External",
        external: {
          metric: { name: "im_push_queue_lag", selector: { matchLabels: { service: `${name}-push` } } },
          target: { type: "AverageValue", averageValue: "1k" },
        },
      },
    ]);
    assert.equal((await get(paths.pdb("push"))).spec.maxUnavailable, 1);

    const config = await get(paths.configMap);
    assert.equal(config.data?.PUSH_ENABLED, "true");
    assert.equal(config.data?.PUSH_QUEUE_MAX_LENGTH, "50000");
    for (const component of components) {
      const app = await until(
        `${component} with PUSH_ENABLED`,
        () => get<Deployment>(paths.deployment(component)),
        (d) => envMap(d).PUSH_ENABLED !== undefined,
      );
      assert.deepEqual(envMap(app).PUSH_ENABLED, { configMapKeyRef: { name: `${name}-config`, key: "PUSH_ENABLED" } }, component);
    }
    assert.equal(envMap(await get<Deployment>(paths.deployment("scheduler"))).PUSH_LOG_RETENTION_DAYS, "14");
    await until("push in the status", statusComponents, (c) => c.includes("push"));
  });

  it("switches the APNs key from a file to env and rolls only the push pods", async () => {
    const before = Object.fromEntries(
      await Promise.all(
        [...components, "push"].map(async (c) => [
          c,
          (await get<Deployment>(paths.deployment(c))).spec.template.metadata.annotations["im.platform.io/config-hash"],
        ]),
      ),
    );
    await apply({ ...baseSpec, push: { ...pushSpec, providers: { ...pushSpec.providers, apns: { ...apns, mountAs: "env" } } } });
    const push = await until(
      "the APNs key as env",
      () => get<Deployment>(paths.deployment("push")),
      (d) => envMap(d).PUSH_APNS_KEY !== undefined,
    );
    assert.deepEqual(envMap(push).PUSH_APNS_KEY, { secretKeyRef: { name: "push-apns", key: "key.p8" } });
    assert.equal(envMap(push).PUSH_APNS_KEY_FILE, undefined);
    assert.deepEqual(
      push.spec.template.spec.volumes.map((v) => v.name),
      ["tmp", "push-ca"],
    );
    assert.notEqual(push.spec.template.metadata.annotations["im.platform.io/config-hash"], before.push);
    for (const component of components) {
      const hash = (await get<Deployment>(paths.deployment(component))).spec.template.metadata.annotations["im.platform.io/config-hash"];
      assert.equal(hash, before[component], `${component} did not roll`);
    }
  });

  it("refuses a bad push spec at the API server", async () => {
    const bad = (push: Record<string, unknown>, pattern: RegExp) => assert.rejects(apply({ ...baseSpec, push }), pattern);
    await bad({ enabled: true, providers: { apns: { ...apns, keyId: "abc" } } }, /keyId/);
    await bad({ enabled: true, providers: { apns: { keyId: apns.keyId, teamId: apns.teamId } } }, /secretRef/);
    await bad({ enabled: true, providers: { ca: { secretName: "a", configMapName: "b" } } }, /exactly one of configMapName, secretName/);
    await bad({ enabled: true, providers: { fcm: { secretRef: { name: "f" }, mountAs: "volume" } } }, /mountAs/);
    await bad({ enabled: true, queueMaxLength: 5 }, /queueMaxLength/);
    await bad({ enabled: true, autoscaling: { minReplicas: 4, maxReplicas: 2 } }, /minReplicas must not exceed maxReplicas/);
    // The last good spec still runs.
    assert.ok(await exists(paths.deployment("push")));
  });

  it("takes the push app away and PUSH_ENABLED off every app when push is turned off", async () => {
    await apply({ ...baseSpec, push: { ...pushSpec, enabled: false } });
    await until(
      "push objects pruned",
      async () => Promise.all([paths.deployment, paths.service, paths.hpa, paths.pdb].map((path) => exists(path("push")))),
      (present) => present.every((p) => !p),
    );
    const config = await until(
      "the ConfigMap without PUSH_*",
      () => get(paths.configMap),
      (c) => !Object.keys(c.data ?? {}).some((key) => key.startsWith("PUSH_")),
    );
    assert.ok(config);
    for (const component of components) {
      await until(
        `${component} without PUSH_*`,
        () => get<Deployment>(paths.deployment(component)),
        (d) => !Object.keys(envMap(d)).some((key) => key.startsWith("PUSH_")),
      );
    }
    await until("push gone from the status", statusComponents, (c) => !c.includes("push"));
    assert.deepEqual(await statusComponents(), ["api", "gateway", "scheduler"]);
  });

  it("runs push from the platform chart with the provider Secrets it makes from pushCredentials", async () => {
    await world.kubectl(["create", "namespace", "pushchart"]);
    const key = "-----BEGIN PRIVATE KEY-----\nnot a real key\n-----END PRIVATE KEY-----\n";
    const values = JSON.stringify({
      quickStart: { enabled: true },
      pushCredentials: { apns: { key }, fcm: { serviceAccount: '{"type":"service_account"}' }, xiaomi: { appSecret: "mi-secret" } },
      imcluster: { spec: { push: { enabled: true, providers: { apns: { keyId: apns.keyId, teamId: apns.teamId }, xiaomi: {} } } } },
    });
    const dir = await mkdtemp(join(tmpdir(), "im-push-chart-"));
    const valuesFile = join(dir, "values.json");
    await writeFile(valuesFile, values);
    const manifests = await helm(["template", "chat", `${root}charts/im-platform`, "--namespace", "pushchart", "-f", valuesFile]);
    await world.kubectl(["apply", "--server-side", "-n", "pushchart", "-f", "-"], manifests);
    const push = await until(
      "the chart cluster's push Deployment",
      () => get<Deployment>("/apis/apps/v1/namespaces/pushchart/deployments/chat-push"),
      () => true,
    );
    const pod = push.spec.template.spec;
    assert.deepEqual(pod.volumes.find((v) => v.name === "push-apns")?.secret, {
      secretName: "chat-push-apns",
      items: [{ key: "key.p8", path: "key.p8" }],
      defaultMode: 0o440,
    });
    assert.deepEqual(envMap(push).PUSH_XIAOMI_APP_SECRET, { secretKeyRef: { name: "chat-push-xiaomi", key: "appSecret" } });
    // Credentials alone turn a provider on when it has no required setting of its own (fcm, xiaomi).
    assert.equal(envMap(push).PUSH_FCM_SERVICE_ACCOUNT_FILE, "/etc/im-push/fcm/service-account.json");
    assert.equal(pod.volumes.find((v) => v.name === "push-fcm")?.secret?.secretName, "chat-push-fcm");
    const secret = await get<Obj>("/api/v1/namespaces/pushchart/secrets/chat-push-apns");
    assert.equal(Buffer.from(secret.data?.["key.p8"] ?? "", "base64").toString(), key);
    const mi = await get<Obj>("/api/v1/namespaces/pushchart/secrets/chat-push-xiaomi");
    assert.equal(Buffer.from(mi.data?.appSecret ?? "", "base64").toString(), "mi-secret");
    assert.equal(await exists("/api/v1/namespaces/pushchart/secrets/chat-push-huawei"), false);
    await rm(dir, { recursive: true, force: true });
  });
});
