import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { helm, type KubeApiServer, kubectl, OPERATOR_TEST_USER, startKubeApiServer } from "@im/testing";
import * as k8s from "@kubernetes/client-node";

function coreApi(kubeconfigPath: string): k8s.CoreV1Api {
  const config = new k8s.KubeConfig();
  config.loadFromFile(kubeconfigPath);
  return config.makeApiClient(k8s.CoreV1Api);
}

describe("kube-apiserver + etcd (real binaries from scripts/ensure-k8s-tools.sh)", () => {
  let server: KubeApiServer;
  let chartDir: string;
  before(async () => {
    server = await startKubeApiServer();
    chartDir = await mkdtemp(join(tmpdir(), "im-chart-"));
  });
  after(async () => {
    await server?.stop();
    if (chartDir) await rm(chartDir, { recursive: true, force: true });
  });

  it("serves Kubernetes v1.34 to kubectl", async () => {
    const versions = JSON.parse(await kubectl(["version", "-o", "json"], { kubeconfig: server.kubeconfigPath })) as {
      clientVersion: { gitVersion: string };
      serverVersion: { gitVersion: string; minor: string };
    };
    assert.match(versions.serverVersion.gitVersion, /^v1\.34\./);
    assert.equal(versions.serverVersion.minor, "34");
    assert.equal(versions.clientVersion.gitVersion, versions.serverVersion.gitVersion);
  });

  it("stores what kubectl applies server-side, and @kubernetes/client-node reads it back", async () => {
    const manifest = [
      "apiVersion: v1",
      "kind: ConfigMap",
      "metadata:",
      "  name: probe",
      "  namespace: default",
      "data:",
      "  greeting: hello",
      "",
    ].join("\n");
    const out = await kubectl(["apply", "--server-side", "--field-manager=im-test", "-f", "-"], {
      kubeconfig: server.kubeconfigPath,
      input: manifest,
    });
    assert.match(out, /configmap\/probe serverside-applied/);
    const configMap = await coreApi(server.kubeconfigPath).readNamespacedConfigMap({ name: "probe", namespace: "default" });
    assert.equal(configMap.data?.greeting, "hello");
    assert.ok(configMap.metadata?.managedFields?.some((field) => field.manager === "im-test" && field.operation === "Apply"));
  });

  it(`forbids ${OPERATOR_TEST_USER} everything until RBAC grants it`, async () => {
    const api = coreApi(server.kubeconfigFor(OPERATOR_TEST_USER));
    await assert.rejects(api.listNamespace(), (error) => error instanceof k8s.ApiException && error.code === 403);
    await assert.rejects(kubectl(["get", "namespaces"], { kubeconfig: server.kubeconfigFor(OPERATOR_TEST_USER) }), /forbidden/);

    await kubectl(["apply", "-f", "-"], {
      kubeconfig: server.kubeconfigPath,
      input: `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: im-test-namespace-reader }
rules:
  - { apiGroups: [""], resources: [namespaces], verbs: [get, list] }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: im-test-namespace-reader }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: im-test-namespace-reader }
subjects:
  - { apiGroup: rbac.authorization.k8s.io, kind: User, name: ${OPERATOR_TEST_USER} }
`,
    });
    // The RBAC authorizer sees the binding through a watch: give it a moment.
    let names: string[] = [];
    for (let attempt = 0; attempt < 50 && !names.includes("default"); attempt += 1) {
      names = await api.listNamespace().then(
        (list) => list.items.map((namespace) => namespace.metadata?.name ?? ""),
        () => sleep(100).then(() => []),
      );
    }
    assert.ok(names.includes("default"), "listing namespaces is allowed once the ClusterRole is bound");
    await assert.rejects(
      api.listNamespacedSecret({ namespace: "default" }),
      (error) => error instanceof k8s.ApiException && error.code === 403,
    );
  });

  it("runs helm: template defaults to Kubernetes 1.34, install talks to the server", async () => {
    assert.match(await helm(["version", "--template", "{{.Version}}"]), /^v3\.19\./);
    await mkdir(join(chartDir, "templates"));
    await writeFile(join(chartDir, "Chart.yaml"), "apiVersion: v2\nname: probe\nversion: 0.1.0\n");
    await writeFile(
      join(chartDir, "templates", "configmap.yaml"),
      [
        "apiVersion: v1",
        "kind: ConfigMap",
        "metadata:",
        "  name: {{ .Release.Name }}-probe",
        "data:",
        "  kubeVersion: {{ .Capabilities.KubeVersion.Version | quote }}",
        "",
      ].join("\n"),
    );
    assert.match(await helm(["template", "t", chartDir]), /kubeVersion: "v1\.34\.0"/);

    await helm(["install", "chart-probe", chartDir, "--namespace", "default"], { kubeconfig: server.kubeconfigPath });
    const configMap = await coreApi(server.kubeconfigPath).readNamespacedConfigMap({ name: "chart-probe-probe", namespace: "default" });
    assert.match(configMap.data?.kubeVersion ?? "", /^v1\.34\./);
    assert.match(await helm(["list", "--namespace", "default", "--short"], { kubeconfig: server.kubeconfigPath }), /chart-probe/);
  });
});
