import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { z } from "zod";
import { imClusterOpenApiSchema } from "./crd.js";
import { driftedFiles } from "./manifests.js";
import { type SchemaNode, structuralProblems, toStructural } from "./structural.js";

describe("ImCluster CRD schema", () => {
  const schema = imClusterOpenApiSchema();

  it("is structural: no $ref, a type on every node, a description on every property but metadata", () => {
    // The API server refuses anything but `type: object` on the root metadata (found on a real kube-apiserver).
    assert.deepEqual(schema.properties?.metadata, { type: "object" });
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

  it("refuses what a structural schema cannot hold", () => {
    const json = (schema: z.ZodType) => z.toJSONSchema(schema, { io: "input", target: "openapi-3.0" }) as SchemaNode;
    assert.throws(() => toStructural(json(z.object({ a: z.union([z.string(), z.boolean()]).describe("a") }))), /unions/);
    assert.throws(() => toStructural(json(z.object({ a: z.string() }))), /spec\.a: no description/);
  });
});

describe("generated manifests", () => {
  it("match the committed files under k8s/ (else run npm run crd:write)", () => {
    assert.deepEqual(driftedFiles(), []);
  });
});
