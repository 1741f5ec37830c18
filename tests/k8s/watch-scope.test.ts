// Issue 13, section C: watch scope as a list of namespaces on the chart's own RBAC: the operator runs as the
// chart's ServiceAccount (a TokenRequest token), reconciles ImClusters in the listed namespaces, ignores the
// others, and holds no cluster-wide grant.

import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { helm } from "@im/testing";
import { components, helpers, minimalSpec, paths, serviceAccountKubeconfig } from "./lifecycle-support.js";
import { OperatorWorld, root, until } from "./operator-world.js";

const account = "system:serviceaccount:im-system:im-operator";

describe("watch scope: a list of namespaces on the chart's RBAC", { timeout: 600_000 }, () => {
  let world: OperatorWorld;
  let dir: string;
  const h = helpers(() => world);
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "im-scope-"));
    const chart = await helm([
      "template",
      "im-operator",
      `${root}charts/im-operator`,
      "--namespace",
      "im-system",
      "--include-crds",
      "--set",
      "watchNamespaces={im,team-b}",
    ]);
    // The listed namespaces exist before the chart's RoleBindings go into them.
    const namespace = (name: string) => `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${name}\n---\n`;
    world = await OperatorWorld.start({ manifests: `${namespace("team-b")}${namespace("outside")}${chart}` });
    for (const ns of ["im", "team-b", "outside"]) {
      await h.createSecret(ns, "im-mongo", { url: "mongodb://mongo:27017/im" });
      await h.createSecret(ns, "im-redis", { url: "redis://redis:6379" });
    }
    const kubeconfig = await serviceAccountKubeconfig(world, "im-system", "im-operator", dir);
    await world.startOperator("scoped", { KUBECONFIG: kubeconfig, OPERATOR_WATCH_NAMESPACES: "im,team-b" });
  });
  after(async () => {
    await world?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const can = async (args: string[]) => {
    try {
      return (await world.kubectl(["auth", "can-i", ...args, `--as=${account}`])).trim();
    } catch (error) {
      // `kubectl auth can-i` exits 1 when the answer is no.
      return /\bno\b/.test(String(error)) ? "no" : String(error);
    }
  };

  it("binds the ClusterRole per listed namespace, the Lease by a Role, and nothing cluster-wide", async () => {
    assert.equal(await can(["list", "deployments", "-n", "im"]), "yes");
    assert.equal(await can(["list", "imclusters.im.platform.io", "-n", "team-b"]), "yes");
    assert.equal(await can(["list", "deployments", "-n", "outside"]), "no");
    assert.equal(await can(["list", "deployments", "--all-namespaces"]), "no");
    assert.equal(await can(["list", "secrets", "--all-namespaces"]), "no");
    assert.equal(await can(["update", "leases.coordination.k8s.io", "-n", "im-system"]), "yes");
    const bindings = await world.kubectl(["get", "clusterrolebindings", "-o", "name"]);
    assert.doesNotMatch(bindings, /clusterrolebinding\.rbac\.authorization\.k8s\.io\/im-operator$/m);
  });

  it("reconciles ImClusters in the listed namespaces and ignores the others", async () => {
    await h.applyCluster("outside", "im", minimalSpec());
    for (const ns of ["im", "team-b"]) await h.applyCluster(ns, "im", minimalSpec());
    for (const ns of ["im", "team-b"]) {
      const p = paths(ns, "im");
      for (const path of p.children) await until(path, () => h.exists(path), Boolean);
      await until(
        `${ns}/im reconciled`,
        () => h.get(p.cluster),
        (c) => h.condition(c, "Reconciled")?.status === "True",
      );
    }
    // It restores a deleted child in a listed namespace (its watches work with namespace-scoped grants).
    const service = await h.get(paths("team-b", "im").service("gateway"));
    await world.admin.delete(paths("team-b", "im").service("gateway"));
    await until(
      "restored in team-b",
      () => h.get(paths("team-b", "im").service("gateway")),
      (s) => s.metadata.uid !== service.metadata.uid,
    );
    const outside = paths("outside", "im");
    assert.equal((await h.get(outside.cluster)).status, undefined, "no status outside the watched namespaces");
    for (const component of components) assert.equal(await h.exists(outside.deployment(component)), false);
  });
});
