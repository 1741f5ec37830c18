// The charts installed with the real helm on a real kube-apiserver (no controller-manager, no kubelet: no pod
// runs), following the operator chart's NOTES to the letter: each of its two ways to an ImCluster, the CRD
// upgrade command it prints, and the quick start's MinIO Secret and bucket Job across `helm upgrade`.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type KubeApiServer, kubeTools, startKubeApiServer } from "@im/testing";
// The operator package by path until tests/ depends on @im/operator (its dist may be stale while tsc -b runs).
import { imClusterCrd } from "../../operator/src/index.js";

const root = new URL("../../", import.meta.url).pathname;
const operatorInstall = "helm install im-operator charts/im-operator --namespace im-system --create-namespace";

/** Runs a documented command line with sh in the repository's root, helm and kubectl on PATH; its output. */
function sh(server: KubeApiServer, command: string, timeoutMs = 60_000): Promise<string> {
  const env = { ...process.env, KUBECONFIG: server.kubeconfigPath, PATH: `${dirname(kubeTools().helm)}:${process.env.PATH ?? ""}` };
  return new Promise((resolve, reject) => {
    execFile("sh", ["-c", command], { cwd: root, env, timeout: timeoutMs }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} failed (${error.killed ? "timed out" : error.message}):\n${stderr}${stdout}`));
      else resolve(stdout);
    });
  });
}

/** The kubectl and helm command lines of NOTES between the paragraph starting `from` and the next one starting `to`. */
function commands(notes: string, from: string, to: string): string[] {
  const start = notes.indexOf(`\n${from}`);
  const end = notes.indexOf(`\n${to}`, start + 1);
  assert.ok(start >= 0 && end > start, `NOTES have a part "${from}" followed by "${to}":\n${notes}`);
  return notes
    .slice(start, end)
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => /^(kubectl|helm) /.test(line));
}

async function installOperator(server: KubeApiServer): Promise<string> {
  const output = await sh(server, operatorInstall);
  const notes = output.slice(output.indexOf("NOTES:"));
  assert.ok(notes.length > 10, output);
  return notes;
}

const secretKey = async (server: KubeApiServer, name: string, key: string) =>
  Buffer.from(await sh(server, `kubectl -n im get secret ${name} -o jsonpath='{.data.${key}}'`), "base64").toString();

describe("the charts installed as their NOTES say, on a real kube-apiserver", { timeout: 600_000 }, () => {
  const servers: KubeApiServer[] = [];
  let scratch = "";
  before(async () => {
    scratch = await mkdtemp(join(tmpdir(), "im-charts-install-"));
  });
  after(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });
  const start = async () => {
    const server = await startKubeApiServer();
    servers.push(server);
    return server;
  };

  it("the chart README installs the operator with the command the tests use", () => {
    assert.ok(readFileSync(join(root, "charts/im-operator/README.md"), "utf8").includes(operatorInstall));
  });

  it("way A, the quick start, installs without waiting for MinIO; its names are real and its password survives helm upgrade", async () => {
    const server = await start();
    const notes = await installOperator(server);
    const steps = commands(notes, "A. ", "B. ");
    assert.ok(steps.length > 0, notes);
    let output = "";
    // A post-install hook Job would hold `helm install` until MinIO ran the bucket command: no pod runs here.
    for (const step of steps) output += await sh(server, step);
    assert.match(await sh(server, "kubectl -n im get imcluster im -o name"), /imcluster.im.platform.io\/im/);
    const platformNotes = output.slice(output.indexOf("NOTES:"));
    assert.doesNotMatch(platformNotes, /<[a-z]+>/, "NOTES print real names, not placeholders");
    assert.match(platformNotes, /im-api, im-gateway, im-scheduler, im-upload/);

    const password = await secretKey(server, "im-object-storage", "secretAccessKey");
    assert.match(password, /^[A-Za-z0-9]{32}$/);
    const jobs = await sh(
      server,
      "kubectl -n im get jobs -o jsonpath='{range .items[*]}{.metadata.name} {.metadata.annotations}{\"\\n\"}{end}'",
    );
    assert.match(jobs, /^im-minio-bucket-[0-9a-f]{8} /);
    assert.doesNotMatch(jobs, /helm\.sh\/hook/);

    await sh(server, "helm upgrade im charts/im-platform --namespace im --reuse-values --set imcluster.spec.gateway.replicas=3");
    assert.equal(await secretKey(server, "im-object-storage", "secretAccessKey"), password, "the generated password is kept");
    assert.equal(await sh(server, "kubectl -n im get jobs -o name"), jobs.replace(/ .*$/s, "").replace(/^/, "job.batch/").concat("\n"));
    const annotations = await sh(server, "kubectl -n im get secret im-object-storage -o jsonpath='{.metadata.annotations}'");
    assert.match(annotations, /"helm.sh\/resource-policy":"keep"/);
  });

  it("way B, own data stores, works as printed; the printed CRD upgrade command replaces the CRD Helm installed", async () => {
    const server = await start();
    const notes = await installOperator(server);
    for (const step of commands(notes, "B. ", "Then")) await sh(server, step);
    assert.match(await sh(server, "kubectl -n im get imcluster im -o jsonpath='{.spec.mongo.secretName}'"), /^im-mongo$/);

    const [upgrade = "", ...more] = commands(notes, "Upgrading", "Uninstalling");
    assert.equal(more.length, 0);
    assert.ok(upgrade.includes("charts/im-operator/crds/"), upgrade);
    assert.ok(readFileSync(join(root, "charts/im-operator/README.md"), "utf8").includes(upgrade), "the README gives the same command");
    // A real schema change: another description and a new printer column, as an operator upgrade brings.
    const crd = imClusterCrd() as unknown as { spec: { versions: { schema: { openAPIV3Schema: { description: string } } }[] } };
    const [version] = crd.spec.versions;
    assert.ok(version);
    version.schema.openAPIV3Schema.description = "changed by an upgrade";
    await writeFile(join(scratch, "crd.yaml"), JSON.stringify(crd));
    await sh(server, upgrade.replace("charts/im-operator/crds/", `${scratch}/`));
    const description = await sh(
      server,
      "kubectl get crd imclusters.im.platform.io -o jsonpath='{.spec.versions[0].schema.openAPIV3Schema.description}'",
    );
    assert.equal(description, "changed by an upgrade");
  });
});
