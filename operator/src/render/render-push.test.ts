// The push component: off by default; when enabled its Deployment (env names of the push app's settings,
// credentials from Secrets as files or env), Service, HPA on CPU plus the queue lag, PDB, and PUSH_ENABLED on
// every app.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { imClusterSpecSchema } from "../spec/imcluster.js";
import type { KubeObject } from "./kube-object.js";
import { configHashAnnotation } from "./metadata.js";
import { render } from "./render.js";
import { type Loose, sampleCluster, stubDashboards } from "./test-support.js";

const find = (objects: KubeObject[], kindName: string, name: string) => {
  const object = objects.find((o) => o.kind === kindName && o.metadata.name === name);
  assert.ok(object, `${kindName} ${name} rendered`);
  return object as KubeObject & { spec: Loose };
};
const container = (objects: KubeObject[], name: string) => find(objects, "Deployment", name).spec.template.spec.containers[0];
const envOf = (objects: KubeObject[], name: string): Record<string, Loose> =>
  Object.fromEntries(
    (container(objects, name).env as { name: string; value?: string; valueFrom?: Loose }[]).map((v) => [v.name, v.value ?? v.valueFrom]),
  );
const hash = (objects: KubeObject[], name: string) =>
  find(objects, "Deployment", name).spec.template.metadata.annotations[configHashAnnotation] as string;
const minimalWith = (push: Loose) => render(sampleCluster("imcluster-minimal", (raw) => (raw.spec.push = push)));
const apns = { secretRef: { name: "apns" }, keyId: "ABC123DEFG", teamId: "DEF123GHIJ" };

describe("render: the push component", () => {
  const production = render(sampleCluster("imcluster-production"), { dashboards: stubDashboards });
  const minimal = render(sampleCluster("imcluster-minimal"));

  it("is off by default: no push objects and no PUSH_* setting anywhere", () => {
    assert.equal(
      minimal.find((o) => o.metadata.name === "im-push"),
      undefined,
    );
    assert.deepEqual(
      Object.keys(find(minimal, "ConfigMap", "im-config").data as object).filter((key) => key.startsWith("PUSH_")),
      [],
    );
    for (const name of ["im-api", "im-gateway", "im-scheduler"]) assert.equal(envOf(minimal, name).PUSH_ENABLED, undefined, name);
    assert.equal(
      minimalWith({ enabled: false, replicas: 3 }).find((o) => o.metadata.name === "im-push"),
      undefined,
    );
  });

  it("sets PUSH_ENABLED=true and the queue bound on every app through the ConfigMap", () => {
    const data = find(production, "ConfigMap", "im-prod-config").data as Record<string, string>;
    assert.equal(data.PUSH_ENABLED, "true");
    assert.equal(data.PUSH_QUEUE_MAX_LENGTH, "200000");
    for (const name of ["api", "gateway", "scheduler", "upload", "push"]) {
      assert.deepEqual(envOf(production, `im-prod-${name}`).PUSH_ENABLED, {
        configMapKeyRef: { name: "im-prod-config", key: "PUSH_ENABLED" },
      });
    }
    const enabled = minimalWith({ enabled: true, queueMaxLength: 5000 });
    assert.equal((find(enabled, "ConfigMap", "im-config").data as Record<string, string>).PUSH_QUEUE_MAX_LENGTH, "5000");
    // Turning push on rolls every app (they start queueing); the retention reaches only the scheduler and the push app.
    const before = render(sampleCluster("imcluster-minimal"));
    for (const name of ["im-api", "im-gateway", "im-scheduler"]) assert.notEqual(hash(before, name), hash(enabled, name), name);
    const retention = minimalWith({ enabled: true, queueMaxLength: 5000, logRetentionDays: 7 });
    assert.equal(envOf(retention, "im-scheduler").PUSH_LOG_RETENTION_DAYS, "7");
    assert.equal(envOf(retention, "im-push").PUSH_LOG_RETENTION_DAYS, "7");
    assert.equal(envOf(retention, "im-api").PUSH_LOG_RETENTION_DAYS, undefined);
    assert.equal(hash(enabled, "im-api"), hash(retention, "im-api"));
    assert.notEqual(hash(enabled, "im-scheduler"), hash(retention, "im-scheduler"));
  });

  it("runs apps/push on port 9472 (probes and metrics only) with MongoDB, Redis and the pod name as consumer", () => {
    const push = container(production, "im-prod-push");
    assert.deepEqual(push.command, ["node", "apps/push/dist/main.js"]);
    assert.deepEqual(push.ports, [{ name: "metrics", containerPort: 9472, protocol: "TCP" }]);
    assert.equal(push.readinessProbe.httpGet.path, "/readyz");
    assert.equal(push.livenessProbe.httpGet.path, "/healthz");
    const env = envOf(production, "im-prod-push");
    assert.equal(env.PUSH_PORT, "9472");
    assert.deepEqual(env.PUSH_CONSUMER, { fieldRef: { fieldPath: "metadata.name" } });
    assert.deepEqual(env.MONGO_URL, { secretKeyRef: { name: "im-mongo", key: "url" } });
    assert.deepEqual(env.REDIS_URL, { secretKeyRef: { name: "im-redis", key: "url" } });
    assert.equal(env.S3_ENDPOINT, undefined);
    assert.deepEqual(find(production, "Service", "im-prod-push").spec.ports, [
      { name: "metrics", port: 9472, targetPort: "metrics", protocol: "TCP" },
    ]);
    assert.equal(find(production, "ServiceMonitor", "im-prod-push").spec.endpoints[0].port, "metrics");
    assert.equal(find(production, "PodDisruptionBudget", "im-prod-push").spec.minAvailable, 1);
    assert.equal(find(minimalWith({ enabled: true }), "Deployment", "im-push").spec.replicas, 2);
  });

  it("mounts file credentials read-only and passes the others from their Secrets, with the app's variable names", () => {
    const env = envOf(production, "im-prod-push");
    assert.equal(env.PUSH_APNS_KEY_FILE, "/etc/im-push/apns/key.p8");
    assert.equal(env.PUSH_APNS_KEY, undefined);
    assert.equal(env.PUSH_APNS_KEY_ID, "ABC123DEFG");
    assert.equal(env.PUSH_APNS_TEAM_ID, "DEF123GHIJ");
    assert.equal(env.PUSH_FCM_SERVICE_ACCOUNT_FILE, "/etc/im-push/fcm/service-account.json");
    assert.equal(env.PUSH_HUAWEI_APP_ID, "104857600");
    assert.deepEqual(env.PUSH_HUAWEI_CLIENT_SECRET, { secretKeyRef: { name: "im-push-huawei", key: "clientSecret" } });
    assert.deepEqual(env.PUSH_XIAOMI_APP_SECRET, { secretKeyRef: { name: "im-push-xiaomi", key: "appSecret" } });
    const pod = find(production, "Deployment", "im-prod-push").spec.template.spec;
    assert.deepEqual(pod.volumes.slice(1), [
      { name: "push-apns", secret: { secretName: "im-push-apns", items: [{ key: "key.p8", path: "key.p8" }], defaultMode: 0o440 } },
      {
        name: "push-fcm",
        secret: { secretName: "im-push-fcm", items: [{ key: "service-account.json", path: "service-account.json" }], defaultMode: 0o440 },
      },
    ]);
    assert.deepEqual(pod.containers[0].volumeMounts.slice(1), [
      { name: "push-apns", mountPath: "/etc/im-push/apns", readOnly: true },
      { name: "push-fcm", mountPath: "/etc/im-push/fcm", readOnly: true },
    ]);
    assert.equal(pod.securityContext.fsGroup, 1000, "the files are group-readable by the app's group only");
    assert.equal(find(production, "Deployment", "im-prod-api").spec.template.spec.securityContext.fsGroup, undefined);

    const asEnv = minimalWith({
      enabled: true,
      providers: {
        apns: { ...apns, mountAs: "env", url: "https://apns.test:8443", sandboxUrl: "https://apns-sandbox.test" },
        fcm: { secretRef: { name: "fcm", key: "sa" }, mountAs: "env", url: "https://fcm.test", tokenUrl: "https://oauth.test/token" },
        huawei: { appId: "1", clientId: "2", secretRef: { name: "hw" }, url: "https://hw.test", tokenUrl: "https://hw.test/token" },
        xiaomi: { secretRef: { name: "mi", key: "s" }, url: "https://mi.test" },
        ca: { configMapName: "egress-ca" },
        timeoutMs: 5000,
        retries: 1,
      },
      worker: { batch: 16, concurrency: 8, claimIdleMs: 1000, maxDeliveries: 3, alertTtlSeconds: 3600, callTtlSeconds: 30 },
    });
    const own = Object.fromEntries(Object.entries(envOf(asEnv, "im-push")).filter(([name]) => /^PUSH_(?!ENABLED|QUEUE)/.test(name)));
    assert.deepEqual(own, {
      PUSH_PORT: "9472",
      PUSH_CONSUMER: { fieldRef: { fieldPath: "metadata.name" } },
      PUSH_BATCH: "16",
      PUSH_CONCURRENCY: "8",
      PUSH_CLAIM_IDLE_MS: "1000",
      PUSH_MAX_DELIVERIES: "3",
      PUSH_ALERT_TTL_SECONDS: "3600",
      PUSH_CALL_TTL_SECONDS: "30",
      PUSH_PROVIDER_TIMEOUT_MS: "5000",
      PUSH_PROVIDER_RETRIES: "1",
      PUSH_APNS_KEY: { secretKeyRef: { name: "apns", key: "key.p8" } },
      PUSH_APNS_KEY_ID: "ABC123DEFG",
      PUSH_APNS_TEAM_ID: "DEF123GHIJ",
      PUSH_APNS_URL: "https://apns.test:8443",
      PUSH_APNS_SANDBOX_URL: "https://apns-sandbox.test",
      PUSH_FCM_SERVICE_ACCOUNT: { secretKeyRef: { name: "fcm", key: "sa" } },
      PUSH_FCM_URL: "https://fcm.test",
      PUSH_FCM_TOKEN_URL: "https://oauth.test/token",
      PUSH_HUAWEI_APP_ID: "1",
      PUSH_HUAWEI_CLIENT_ID: "2",
      PUSH_HUAWEI_CLIENT_SECRET: { secretKeyRef: { name: "hw", key: "clientSecret" } },
      PUSH_HUAWEI_URL: "https://hw.test",
      PUSH_HUAWEI_TOKEN_URL: "https://hw.test/token",
      PUSH_XIAOMI_APP_SECRET: { secretKeyRef: { name: "mi", key: "s" } },
      PUSH_XIAOMI_URL: "https://mi.test",
      PUSH_CA_FILE: "/etc/im-push/ca/ca.pem",
    });
    const pod2 = find(asEnv, "Deployment", "im-push").spec.template.spec;
    assert.deepEqual(pod2.volumes.slice(1), [
      { name: "push-ca", configMap: { name: "egress-ca", items: [{ key: "ca.crt", path: "ca.pem" }], defaultMode: 0o440 } },
    ]);
  });

  it("rolls the push pods when a mounted Secret changes, and only them", () => {
    const versions = (secretVersions: Record<string, string>) =>
      render(sampleCluster("imcluster-production"), { dashboards: stubDashboards, secretVersions });
    const base = versions({});
    const rotated = versions({ "im-push-apns": "9" });
    assert.notEqual(hash(base, "im-prod-push"), hash(rotated, "im-prod-push"));
    for (const name of ["api", "gateway", "scheduler", "upload"])
      assert.equal(hash(base, `im-prod-${name}`), hash(rotated, `im-prod-${name}`));
    assert.notEqual(hash(base, "im-prod-push"), hash(versions({ "im-push-xiaomi": "3" }), "im-prod-push"), "env Secrets too");
  });

  it("scales on CPU always and on the queue lag (an External metric) when asked", () => {
    const hpa = find(production, "HorizontalPodAutoscaler", "im-prod-push");
    assert.deepEqual(hpa.spec.metrics, [
      { type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } } },
      {
        type: "External",
        external: {
          metric: { name: "im_push_queue_lag", selector: { matchLabels: { service: "im-prod-push" } } },
          target: { type: "AverageValue", averageValue: "2000" },
        },
      },
    ]);
    assert.equal("replicas" in find(production, "Deployment", "im-prod-push").spec, false);
    const cpuOnly = find(minimalWith({ enabled: true, autoscaling: { enabled: true } }), "HorizontalPodAutoscaler", "im-push");
    assert.deepEqual(cpuOnly.spec.metrics, [
      { type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 80 } } },
    ]);
    const own = find(
      minimalWith({
        enabled: true,
        autoscaling: { enabled: true, targetQueueLagPerPod: 500, queueLagMetric: "push_lag", queueLagSelector: { cluster: "im" } },
      }),
      "HorizontalPodAutoscaler",
      "im-push",
    );
    assert.deepEqual(own.spec.metrics[1].external.metric, { name: "push_lag", selector: { matchLabels: { cluster: "im" } } });
  });

  it("refuses what the push app could not start with", () => {
    const issues = (push: Loose) => {
      const result = imClusterSpecSchema.safeParse({
        version: "0.1.0",
        mongo: { secretName: "m" },
        redis: { secretName: "r" },
        push: { enabled: true, ...push },
      });
      return result.success ? "" : result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; ");
    };
    assert.equal(issues({ providers: { apns } }), "");
    assert.match(issues({ providers: { apns: { ...apns, keyId: "short" } } }), /^push\.providers\.apns\.keyId/);
    assert.match(issues({ providers: { apns: { keyId: apns.keyId, teamId: apns.teamId } } }), /^push\.providers\.apns\.secretRef/);
    assert.match(issues({ providers: { fcm: { secretRef: { name: "f" }, url: "http://fcm.test" } } }), /^push\.providers\.fcm\.url/);
    assert.match(issues({ providers: { huawei: { appId: "abc", secretRef: { name: "h" } } } }), /^push\.providers\.huawei\.appId/);
    assert.match(issues({ providers: { ca: { key: "ca.crt" } } }), /exactly one of configMapName, secretName/);
    assert.match(issues({ providers: { ca: { secretName: "a", configMapName: "b" } } }), /exactly one of configMapName, secretName/);
    assert.match(issues({ queueMaxLength: 10 }), /^push\.queueMaxLength/);
    assert.match(issues({ worker: { maxDeliveries: 0 } }), /^push\.worker\.maxDeliveries/);
    assert.match(issues({ autoscaling: { minReplicas: 5, maxReplicas: 2 } }), /minReplicas must not exceed/);
    assert.match(issues({ autoscaling: { queueLagMetric: "bad-name" } }), /^push\.autoscaling\.queueLagMetric/);
  });
});
