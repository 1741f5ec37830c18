import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { childKinds } from "../render/child-kinds.js";
import { operatorLeaseRules, operatorRules } from "./rbac.js";

describe("operator RBAC", () => {
  const rules = operatorRules();
  const ruleFor = (group: string, resource: string) => rules.filter((r) => r.apiGroups.includes(group) && r.resources.includes(resource));

  it("grants every verb on the child kinds, nothing more on the ImCluster than it needs, and no wildcard", () => {
    for (const child of childKinds) {
      const [rule] = ruleFor(child.group, child.resource);
      assert.ok(rule, `${child.kind} has a rule`);
      assert.deepEqual(rule.verbs, ["get", "list", "watch", "create", "update", "patch", "delete"]);
    }
    const resources = rules.flatMap((rule) => rule.resources);
    assert.deepEqual(
      resources.sort(),
      [
        ...childKinds.map((c) => c.resource),
        "imclusters",
        "imclusters/status",
        "imclusters/finalizers",
        "leases",
        "events",
        "pods",
        "secrets",
      ].sort(),
    );
    assert.ok(!rules.some((r) => r.verbs.includes("create") && r.resources.includes("imclusters")), "never creates ImClusters");
    assert.ok(!JSON.stringify(rules).includes("*"), "no wildcards");
  });

  it("reads pods and lists/watches Secrets (metadata only), never gets a Secret or writes either", () => {
    assert.deepEqual(
      ruleFor("", "pods").flatMap((r) => r.verbs),
      ["get", "list", "watch"],
    );
    assert.deepEqual(
      ruleFor("", "secrets").flatMap((r) => r.verbs),
      ["list", "watch"],
      "no get: a Secret's data is never read by name",
    );
    assert.deepEqual(
      ruleFor("", "events").flatMap((r) => r.verbs),
      ["get", "create", "patch"],
    );
  });

  it("keeps the Lease rules in the ClusterRole and as the leader-election Role of a namespace-scoped install", () => {
    const [lease] = operatorLeaseRules();
    assert.ok(lease);
    assert.deepEqual(ruleFor("coordination.k8s.io", "leases"), [lease]);
  });
});
