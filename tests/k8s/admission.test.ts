// Admission of ImClusters on a real kube-apiserver: the CRD generated from the zod schema (imClusterCrd(), the
// code under test, not the committed file) refuses at `kubectl create` every ImCluster the operator's zod schema
// refuses (operator/src/spec/rejected-examples.ts), with the field the problem is in, so a bad value never
// reaches a reconcile or a child's apply.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type KubeApiServer, kubectl, startKubeApiServer } from "@im/testing";
// The operator package by path until tests/ depends on @im/operator (its dist may be stale while tsc -b runs).
import { imClusterCrd } from "../../operator/src/index.js";
import { rejectedExamples, rejectedObject, validImCluster } from "../../operator/src/spec/rejected-examples.js";

/** "spec.api.extraEnv.0.name" as the API server writes it: "spec.api.extraEnv[0].name". */
function apiPath(path: string): string {
  return path.replace(/\.(\d+)(?=\.|$)/g, "[$1]");
}

describe("ImCluster admission on a real kube-apiserver", { timeout: 300_000 }, () => {
  let server: KubeApiServer;
  const run = (args: string[], input?: string) =>
    kubectl(args, { kubeconfig: server.kubeconfigPath, ...(input === undefined ? {} : { input }) });
  /** `kubectl create --dry-run=server`: admission (schema, defaults, CEL) without storing; the error text or "". */
  const admit = async (object: unknown): Promise<string> => {
    try {
      await run(["create", "--dry-run=server", "--namespace", "im", "-f", "-"], JSON.stringify(object));
      return "";
    } catch (error) {
      return (error as Error).message;
    }
  };

  before(async () => {
    server = await startKubeApiServer();
    await run(["create", "namespace", "im"]);
    await run(["apply", "--server-side", "-f", "-"], JSON.stringify(imClusterCrd()));
    await run(["wait", "--for=condition=Established", "crd/imclusters.im.platform.io", "--timeout=60s"]);
  });
  after(() => server?.stop());

  it("accepts the valid ImCluster every example starts from", async () => {
    assert.equal(await admit(validImCluster()), "");
  });

  for (const example of rejectedExamples) {
    it(`refuses ${example.what}, naming ${example.apiField ?? apiPath(example.path)}`, async () => {
      const error = await admit(rejectedObject(example));
      assert.notEqual(error, "", "the API server accepted it");
      assert.ok(error.includes(`${example.apiField ?? apiPath(example.path)}: `), error);
      // (The API server's own "<nil>: ... some validation rules were not checked" line may follow schema errors.)
      assert.doesNotMatch(error, /<nil>: Invalid value: "object"/, "a rule's field path, not <nil>");
    });
  }
});
