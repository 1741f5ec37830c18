import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { z } from "zod";
import { childKinds } from "../render/child-kinds.js";
import { imClusterOpenApiSchema } from "./crd.js";
import { driftedFiles } from "./manifests.js";
import { operatorRules } from "./rbac.js";
import { type SchemaNode, structuralProblems, toStructural } from "./structural.js";

describe("ImCluster CRD schema", () => {
  const schema = imClusterOpenApiSchema();

  it("is structural: no $ref, a type on every node, a description on every property but metadata", () => {
    // The API server refuses anything on the root metadata but `type: object` and restrictions of name and
    // generateName (found on a real kube-apiserver); name is declared so the name rule's fieldPath is valid.
    assert.deepEqual(schema.properties?.metadata, {
      type: "object",
      properties: { name: { description: "Name of the ImCluster", type: "string" } },
    });
    assert.deepEqual(structuralProblems(schema), [".metadata: no description"]);
    assert.doesNotMatch(JSON.stringify(schema), /\$ref|\$defs|"oneOf"|"allOf"/);
  });

  it("declares whole numbers as integers, with bounds", () => {
    const spec = schema.properties?.spec as SchemaNode;
    assert.deepEqual(spec.properties?.messageShards, {
      description: spec.properties?.messageShards?.description,
      type: "integer",
      default: 8,
      minimum: 1,
      maximum: 1024,
    });
    assert.equal(spec.properties?.gateway?.properties?.replicas?.type, "integer");
  });

  it("declares resource quantities as int-or-string", () => {
    const spec = schema.properties?.spec as SchemaNode;
    const requests = spec.properties?.api?.properties?.resources?.properties?.requests as SchemaNode;
    assert.equal(requests.properties?.cpu?.["x-kubernetes-int-or-string"], true);
    assert.deepEqual(requests.properties?.cpu?.anyOf, [{ type: "integer" }, { type: "string" }]);
  });

  it("keeps an int-or-string's integer bounds as CEL rules (a structural anyOf holds no minimum)", () => {
    const spec = schema.properties?.spec as SchemaNode;
    const pdb = spec.properties?.api?.properties?.podDisruptionBudget as SchemaNode;
    assert.deepEqual(pdb.properties?.minAvailable?.anyOf, [{ type: "integer" }, { type: "string" }]);
    assert.deepEqual(pdb.properties?.minAvailable?.["x-kubernetes-validations"], [
      { rule: "type(self) != int || self >= 0", message: "must be at least 0" },
    ]);
  });

  it("refuses what a structural schema cannot hold", () => {
    const json = (schema: z.ZodType) => z.toJSONSchema(schema, { io: "input", target: "openapi-3.0" }) as SchemaNode;
    assert.throws(() => toStructural(json(z.object({ a: z.union([z.string(), z.boolean()]).describe("a") }))), /unions/);
    assert.throws(() => toStructural(json(z.object({ a: z.string() }))), /spec\.a: no description/);
  });
});

describe("operator RBAC", () => {
  it("grants exactly the child kinds, the ImCluster resources, leases and events", () => {
    const rules = operatorRules();
    for (const child of childKinds) {
      const rule = rules.find((r) => r.apiGroups.includes(child.group) && r.resources.includes(child.resource));
      assert.ok(rule, `${child.kind} has a rule`);
      assert.deepEqual(rule.verbs, ["get", "list", "watch", "create", "update", "patch", "delete"]);
    }
    const resources = rules.flatMap((rule) => rule.resources);
    assert.deepEqual(
      resources.sort(),
      [...childKinds.map((c) => c.resource), "imclusters", "imclusters/status", "imclusters/finalizers", "leases", "events"].sort(),
    );
    assert.ok(!JSON.stringify(rules).includes("*"), "no wildcards");
    assert.ok(!resources.includes("secrets"), "no access to Secrets");
  });
});

describe("generated manifests", () => {
  it("match the committed files under k8s/ (else run npm run crd:write)", () => {
    assert.deepEqual(driftedFiles(), []);
  });
});
