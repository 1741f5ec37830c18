// The Helm charts (charts/im-operator, charts/im-platform) linted and rendered by the real helm
// (scripts/ensure-k8s-tools.sh) for Kubernetes 1.34, and checked against what the operator package generates:
// the CRD, the ClusterRole rules and the ImCluster schema.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { helm, kubeTools } from "@im/testing";
import { parse, parseAllDocuments } from "yaml";
// The operator package by path until tests/ depends on @im/operator (its dist may be stale while tsc -b runs).
import { loadOperatorConfig } from "../../operator/src/config.js";
import { crdName, driftedFiles, imClusterCrd, imClusterSchema, operatorRules, render } from "../../operator/src/index.js";

const root = new URL("../../", import.meta.url).pathname;
const operatorChart = join(root, "charts/im-operator");
const platformChart = join(root, "charts/im-platform");
const kubeVersion = "1.34.0";

interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

type Container = {
  name: string;
  image: string;
  env?: { name: string; value?: string; valueFrom?: unknown }[];
  [field: string]: unknown;
};
type PodTemplate = { spec: { containers: Container[]; securityContext?: Record<string, unknown>; [field: string]: unknown } };

/** `helm template` of a chart for Kubernetes 1.34, parsed into objects. */
async function template(chart: string, release: string, namespace: string, args: string[] = []): Promise<KubeObject[]> {
  const text = await helm(["template", release, chart, "--namespace", namespace, "--kube-version", kubeVersion, ...args]);
  return parseAllDocuments(text)
    .map((document) => {
      assert.deepEqual(document.errors, [], "helm template produced invalid YAML");
      return document.toJS() as KubeObject | null;
    })
    .filter((object): object is KubeObject => object !== null);
}

/** `helm template` that must fail; returns its error message. */
async function templateError(chart: string, args: string[]): Promise<string> {
  try {
    await helm(["template", "x", chart, "--namespace", "im", "--kube-version", kubeVersion, ...args]);
  } catch (error) {
    return (error as Error).message;
  }
  assert.fail(`helm template ${args.join(" ")} succeeded but should have failed`);
}

function only(objects: KubeObject[], kind: string, name?: string): KubeObject {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  assert.equal(found.length, 1, `exactly one ${kind}${name ? ` ${name}` : ""}, got ${found.map((o) => o.metadata.name).join(", ")}`);
  return found[0] as KubeObject;
}

function podTemplate(workload: KubeObject): PodTemplate {
  return (workload.spec as { template: PodTemplate }).template;
}

function envOf(container: Container): Record<string, unknown> {
  return Object.fromEntries((container.env ?? []).map((variable) => [variable.name, variable.value ?? variable.valueFrom]));
}

let scratch = "";
async function valuesFile(name: string, values: unknown): Promise<string> {
  const path = join(scratch, name);
  await writeFile(path, JSON.stringify(values));
  return path;
}

before(async () => {
  // No silent skip: without helm every test here fails with the message naming the script that builds it.
  kubeTools();
  scratch = await mkdtemp(join(tmpdir(), "im-charts-"));
});
after(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe("helm lint --strict", () => {
  for (const [chart, args] of [
    [operatorChart, []],
    [operatorChart, ["--set", "serviceMonitor.enabled=true,watchNamespace=im,replicaCount=1"]],
    [platformChart, []],
    [platformChart, ["--set", "quickStart.enabled=true,prometheusRule.enabled=true"]],
  ] as const) {
    it(`passes for ${chart.slice(root.length)} ${args.join(" ")}`, async () => {
      await helm(["lint", "--strict", chart, "--kube-version", kubeVersion, ...args]);
    });
  }
});

describe("im-operator chart", () => {
  let objects: KubeObject[];
  before(async () => {
    objects = await template(operatorChart, "im-operator", "im-system", ["--include-crds"]);
  });

  it("ships the generated CRD unchanged (crds/ is a copy of k8s/crd)", () => {
    assert.equal(
      readFileSync(join(operatorChart, "crds", `${crdName}.yaml`), "utf8"),
      readFileSync(join(root, "k8s/crd", `${crdName}.yaml`), "utf8"),
    );
    assert.deepEqual(only(objects, "CustomResourceDefinition"), imClusterCrd());
    assert.deepEqual(
      driftedFiles().filter((path) => path.startsWith("charts/")),
      [],
      "charts/ generated files are current (else npm run crd:write)",
    );
  });

  it("grants exactly operatorRules() to its ServiceAccount", () => {
    const role = only(objects, "ClusterRole");
    assert.deepEqual(role.rules, operatorRules());
    const binding = only(objects, "ClusterRoleBinding");
    assert.deepEqual(binding.roleRef, { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role.metadata.name });
    const account = only(objects, "ServiceAccount");
    assert.deepEqual(binding.subjects, [{ kind: "ServiceAccount", name: account.metadata.name, namespace: "im-system" }]);
  });

  it("runs two leader-elected, non-root replicas with the downward API and the lease in the release namespace", () => {
    const deployment = only(objects, "Deployment", "im-operator");
    assert.equal((deployment.spec as { replicas: number }).replicas, 2);
    const pod = podTemplate(deployment);
    assert.equal(pod.spec.serviceAccountName, "im-operator");
    assert.equal(pod.spec.securityContext?.runAsNonRoot, true);
    const [container] = pod.spec.containers;
    assert.ok(container);
    assert.equal(container.image, "ghcr.io/im-platform/im-operator:0.1.0");
    const env = envOf(container);
    assert.deepEqual(env.POD_NAME, { fieldRef: { fieldPath: "metadata.name" } });
    assert.deepEqual(env.POD_NAMESPACE, { fieldRef: { fieldPath: "metadata.namespace" } });
    assert.equal(env.OPERATOR_WATCH_NAMESPACE, "");
    assert.equal(env.OPERATOR_LEASE_NAME, "im-operator");
    assert.equal(env.OPERATOR_LEASE_NAMESPACE, "im-system");
    assert.equal(env.OPERATOR_PORT, "8080");
    assert.equal(env.LOG_LEVEL, "info");
    // Every plain setting the chart passes is one the operator knows and accepts (its config refuses unknown
    // OPERATOR_* names and bad values at start-up).
    const plain = Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => typeof entry[1] === "string"));
    const config = loadOperatorConfig({ ...plain, POD_NAME: "im-operator-0", POD_NAMESPACE: "im-system" });
    assert.equal(config.OPERATOR_PORT, 8080);
    assert.equal(config.OPERATOR_LEASE_NAMESPACE, "im-system");
    const probe = (name: string) => (container[name] as { httpGet: { path: string; port: string } }).httpGet;
    assert.deepEqual(probe("livenessProbe"), { path: "/healthz", port: "http" });
    assert.deepEqual(probe("readinessProbe"), { path: "/readyz", port: "http" });
    assert.deepEqual(container.securityContext, {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
    });
    assert.equal(only(objects, "PodDisruptionBudget").metadata.name, "im-operator");
    const service = only(objects, "Service");
    assert.deepEqual((service.spec as { ports: unknown[] }).ports, [{ name: "metrics", port: 8080, targetPort: "http", protocol: "TCP" }]);
    assert.equal(
      objects.find((o) => o.kind === "ServiceMonitor"),
      undefined,
    );
  });

  it("passes the watch namespace, lease and image values through; ServiceMonitor on request", async () => {
    const custom = await template(operatorChart, "ops", "platform-ops", [
      "--set",
      "watchNamespace=im,leaderElection.leaseNamespace=leases,image.registry=registry.example.com,image.tag=dev,replicaCount=1",
      "--set",
      "serviceMonitor.enabled=true,serviceMonitor.labels.release=prometheus",
    ]);
    const deployment = only(custom, "Deployment", "ops-im-operator");
    const [container] = podTemplate(deployment).spec.containers;
    assert.ok(container);
    assert.equal(container.image, "registry.example.com/im-platform/im-operator:dev");
    const env = envOf(container);
    assert.equal(env.OPERATOR_WATCH_NAMESPACE, "im");
    assert.equal(env.OPERATOR_LEASE_NAMESPACE, "leases");
    assert.equal(
      custom.find((o) => o.kind === "PodDisruptionBudget"),
      undefined,
      "no PDB for a single replica",
    );
    assert.equal(only(custom, "ServiceMonitor").metadata.labels?.release, "prometheus");
  });

  it("refuses values its schema does not allow", async () => {
    assert.match(await templateError(operatorChart, ["--set", "replicaCount=0"]), /replicaCount/);
    assert.match(await templateError(operatorChart, ["--set", "logLevel=loud"]), /logLevel/);
    assert.match(await templateError(operatorChart, ["--set", "leaderElection.renewDeadlineSeconds=20"]), /renewDeadlineSeconds/);
  });
});

describe("im-platform chart", () => {
  const dashboardFiles = readdirSync(join(platformChart, "dashboards"))
    .filter((name) => name.endsWith(".json"))
    .sort();

  it("creates an ImCluster that imClusterSchema accepts, with only version filled in", async () => {
    const objects = await template(platformChart, "im", "im", [
      "--set",
      "imcluster.spec.mongo.secretName=db,imcluster.spec.redis.secretName=cache,imcluster.spec.gateway.replicas=3",
    ]);
    const cluster = imClusterSchema.parse(only(objects, "ImCluster"));
    assert.equal(cluster.metadata.name, "im");
    assert.equal(cluster.metadata.namespace, "im");
    assert.equal(cluster.spec.version, "0.1.0");
    assert.equal(cluster.spec.gateway.replicas, 3);
    assert.deepEqual(cluster.spec.mongo, { secretName: "db", key: "url" });
    assert.equal(cluster.spec.objectStorage, undefined);
  });

  it("passes a whole spec through unchanged (the production sample)", async () => {
    const sample = parse(readFileSync(join(root, "k8s/samples/imcluster-production.yaml"), "utf8")) as { spec: Record<string, unknown> };
    const values = await valuesFile("production.json", {
      imcluster: { name: "im-prod", spec: sample.spec },
      dashboards: { enabled: false },
    });
    const objects = await template(platformChart, "prod", "im", ["--values", values]);
    const cluster = only(objects, "ImCluster");
    assert.deepEqual(cluster.spec, sample.spec);
    imClusterSchema.parse(cluster);
    assert.equal(
      objects.find((o) => o.kind === "ConfigMap"),
      undefined,
      "the operator ships the dashboards here",
    );
  });

  it("quick start on: MongoDB, Redis and MinIO from official images, and the Secrets the ImCluster references", async () => {
    const objects = await template(platformChart, "im", "im", ["--set", "quickStart.enabled=true"]);
    const cluster = imClusterSchema.parse(only(objects, "ImCluster"));
    const secrets = new Map(
      objects.filter((o) => o.kind === "Secret").map((o) => [o.metadata.name, o.stringData as Record<string, string>]),
    );
    assert.deepEqual([...secrets.keys()].sort(), ["im-mongo", "im-object-storage", "im-redis"]);
    assert.equal(secrets.get(cluster.spec.mongo.secretName)?.[cluster.spec.mongo.key], "mongodb://im-mongo.im.svc:27017/im");
    assert.equal(secrets.get(cluster.spec.redis.secretName)?.[cluster.spec.redis.key], "redis://im-redis.im.svc:6379");
    const storage = cluster.spec.objectStorage;
    assert.ok(storage);
    const s3 = secrets.get(storage.secretName);
    assert.equal(s3?.[storage.endpointKey], "http://im-minio.im.svc:9000");
    assert.equal(s3?.[storage.bucketKey], "im-platform");
    assert.match(s3?.[storage.secretAccessKeyKey] ?? "", /^[A-Za-z0-9]{32}$/);

    const image = (kind: string, name: string) => podTemplate(only(objects, kind, name)).spec.containers[0]?.image ?? "";
    assert.match(image("StatefulSet", "im-mongo"), /^mongo:/);
    assert.match(image("Deployment", "im-redis"), /^redis:/);
    assert.match(image("Deployment", "im-minio"), /^minio\/minio:/);
    for (const name of ["im-mongo", "im-redis", "im-minio"]) only(objects, "Service", name);
    // A plain Job (a hook would hold `helm install` until MinIO runs), named by a hash of its immutable template.
    const job = only(objects, "Job");
    assert.match(job.metadata.name, /^im-minio-bucket-[0-9a-f]{8}$/);
    assert.equal(job.metadata.annotations?.["helm.sh/hook"], undefined);
    assert.equal(only(objects, "Secret", "im-object-storage").metadata.annotations?.["helm.sh/resource-policy"], "keep");
    // GitOps renders with `helm template` (no lookup of the live Secret): a given password is rendered as given.
    const pinned = ["--set", "quickStart.enabled=true,quickStart.minio.rootPassword=s3cr3t-for-gitops"];
    for (const run of [1, 2]) {
      const again = await template(platformChart, "im", "im", pinned);
      assert.equal(
        (only(again, "Secret", "im-object-storage").stringData as Record<string, string>).secretAccessKey,
        "s3cr3t-for-gitops",
        `run ${run}`,
      );
    }
    assert.equal(
      objects.find((o) => o.kind === "PersistentVolumeClaim"),
      undefined,
    );
  });

  it("quick start: the MinIO bucket Job creates the ImCluster's bucket, and the operator runs the upload app on it", async () => {
    const objects = await template(platformChart, "im", "im", ["--set", "quickStart.enabled=true"]);
    const cluster = imClusterSchema.parse({ ...only(objects, "ImCluster"), metadata: { name: "im", namespace: "im", uid: "u-1" } });
    const storage = cluster.spec.objectStorage;
    assert.ok(storage);
    assert.equal(cluster.spec.upload.downloadMode, "proxy", "clients cannot reach the in-cluster MinIO: downloads go through the app");

    const job = only(objects, "Job");
    const [mc] = podTemplate(job as KubeObject).spec.containers;
    assert.ok(mc);
    assert.match(mc.image, /^minio\/minio:/);
    assert.match((mc.args as string[]).join("\n"), /mc mb --ignore-existing "local\/\$S3_BUCKET"/);
    const jobEnv = envOf(mc);
    assert.deepEqual(jobEnv.S3_BUCKET, { secretKeyRef: { name: storage.secretName, key: storage.bucketKey } });
    assert.deepEqual(jobEnv.S3_ENDPOINT, { secretKeyRef: { name: storage.secretName, key: storage.endpointKey } });

    const rendered = render(cluster);
    const upload = rendered.find((o) => o.kind === "Deployment" && o.metadata.name === "im-upload");
    assert.ok(upload, "the operator renders the upload app for the chart's ImCluster");
    const uploadEnv = envOf(podTemplate(upload as KubeObject).spec.containers[0] as Container);
    assert.deepEqual(uploadEnv.S3_BUCKET, { secretKeyRef: { name: "im-object-storage", key: "bucket" } });
    assert.equal(uploadEnv.UPLOAD_DOWNLOAD_MODE, "proxy");

    const own = await template(platformChart, "im", "im", [
      "--set",
      "quickStart.enabled=true,imcluster.spec.upload.downloadMode=redirect,imcluster.spec.upload.replicas=3",
    ]);
    const kept = imClusterSchema.parse(only(own, "ImCluster")).spec.upload;
    assert.equal(kept.downloadMode, "redirect", "a value given is kept");
    assert.equal(kept.replicas, 3);
    assert.match(
      await templateError(platformChart, ["--set", "quickStart.enabled=true,imcluster.spec.upload.downloadMode=ftp"]),
      /downloadMode/,
    );
  });

  it("quick start with persistence, and without MinIO", async () => {
    const objects = await template(platformChart, "im", "im", [
      "--set",
      "quickStart.enabled=true,quickStart.mongo.persistence.enabled=true,quickStart.minio.enabled=false",
    ]);
    const mongo = only(objects, "StatefulSet", "im-mongo").spec as { volumeClaimTemplates?: unknown[] };
    assert.equal(mongo.volumeClaimTemplates?.length, 1);
    assert.equal(
      objects.find((o) => o.metadata.name.includes("minio")),
      undefined,
    );
    const cluster = imClusterSchema.parse(only(objects, "ImCluster"));
    assert.equal(cluster.spec.objectStorage, undefined);
    assert.equal(cluster.spec.upload.downloadMode, "redirect", "no MinIO: the chart leaves upload alone");
  });

  it("quick start off: no data stores and no Secrets; then mongo and redis are required", async () => {
    const objects = await template(platformChart, "im", "im", [
      "--set",
      "imcluster.spec.mongo.secretName=db,imcluster.spec.redis.secretName=cache",
    ]);
    for (const kind of ["Secret", "StatefulSet", "Deployment", "Service", "Job", "PersistentVolumeClaim"]) {
      assert.deepEqual(
        objects.filter((o) => o.kind === kind).map((o) => o.metadata.name),
        [],
        kind,
      );
    }
    assert.match(await templateError(platformChart, []), /imcluster\.spec\.mongo and imcluster\.spec\.redis are required/);
  });

  it("ships each dashboard exactly once, with the Grafana sidecar label", async () => {
    const objects = await template(platformChart, "im", "im", ["--set", "quickStart.enabled=true"]);
    const shipped = objects
      .filter((o) => o.kind === "ConfigMap" && o.metadata.labels?.grafana_dashboard === "1")
      .flatMap((o) => Object.entries(o.data as Record<string, string>));
    assert.deepEqual(shipped.map(([name]) => name).sort(), dashboardFiles);
    // Each file as it is but for its uid and title, made unique per platform (namespace/ImCluster name): Grafana
    // keeps one dashboard per uid, so a second platform's would replace the first's.
    const uids = (list: [string, string][]) => list.map(([, text]) => (JSON.parse(text) as { uid: string }).uid);
    for (const [name, text] of shipped) {
      const file = JSON.parse(readFileSync(join(platformChart, "dashboards", name), "utf8")) as { uid: string; title: string };
      const dashboard = JSON.parse(text) as { uid: string; title: string };
      assert.match(dashboard.uid, new RegExp(`^${file.uid}-[0-9a-f]{8}$`), name);
      assert.ok(dashboard.uid.length <= 40, name);
      assert.equal(dashboard.title, `${file.title} (im/im)`);
      assert.deepEqual({ ...dashboard, uid: file.uid, title: file.title }, file, name);
    }
    const other = await template(platformChart, "im", "im-staging", ["--set", "quickStart.enabled=true"]);
    const otherShipped = other
      .filter((o) => o.kind === "ConfigMap" && o.metadata.labels?.grafana_dashboard === "1")
      .flatMap((o) => Object.entries(o.data as Record<string, string>));
    assert.equal(new Set([...uids(shipped), ...uids(otherShipped)]).size, 2 * dashboardFiles.length, "no uid shared by two platforms");
    const off = await template(platformChart, "im", "im", ["--set", "quickStart.enabled=true,dashboards.enabled=false"]);
    assert.equal(
      off.find((o) => o.kind === "ConfigMap"),
      undefined,
    );
    assert.match(
      await templateError(platformChart, ["--set", "quickStart.enabled=true,imcluster.spec.observability.dashboards.enabled=true"]),
      /twice/,
    );
  });

  it("wraps the alert rules in a PrometheusRule when enabled", async () => {
    const objects = await template(platformChart, "im", "im", ["--set", "quickStart.enabled=true,prometheusRule.enabled=true"]);
    const rule = only(objects, "PrometheusRule");
    const file = parse(readFileSync(join(platformChart, "alerts/im-platform-rules.yaml"), "utf8")) as { groups: unknown };
    assert.deepEqual((rule.spec as { groups: unknown }).groups, file.groups);
  });

  it("refuses values the ImCluster CRD or the chart's schema would refuse", async () => {
    const quick = "quickStart.enabled=true";
    assert.match(await templateError(platformChart, ["--set", `${quick},imcluster.spec.messageShards=0`]), /messageShards/);
    assert.match(await templateError(platformChart, ["--set", `${quick},imcluster.spec.gateway.replicas=-1`]), /replicas/);
    assert.match(await templateError(platformChart, ["--set", `${quick},imcluster.spec.gatway.replicas=3`]), /gatway/);
    assert.match(await templateError(platformChart, ["--set", `${quick},imcluster.spec.config.logLevel=loud`]), /logLevel/);
    assert.match(await templateError(platformChart, ["--set", `${quick},quickStart.minio.bucket=UP`]), /bucket/);
    assert.match(await templateError(platformChart, ["--set", `${quick},imcluster.name=Not_A_Name`]), /name/);
  });
});
