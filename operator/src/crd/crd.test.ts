import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { z } from "zod";
import { imClusterSpecSchema } from "../spec/imcluster.js";
import { imClusterOpenApiSchema } from "./crd.js";
import { driftedFiles } from "./manifests.js";
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

type Def = { type: string; checks?: { _zod: { def: { check: string } } }[]; [field: string]: unknown };
const defOf = (schema: unknown) => (schema as { _zod: { def: Def } })._zod.def;

/**
 * Paths of the zod nodes with a `.refine` (a custom check) whose JSON Schema node has no CEL rule
 * (x-kubernetes-validations): a check the operator makes that the API server would not.
 */
function refinesWithoutCel(schema: unknown, node: SchemaNode | undefined, path: string): string[] {
  const def = defOf(schema);
  if (!node) return [`${path}: no schema node`];
  const wrapped = def.innerType ?? (def.type === "pipe" ? def.in : undefined);
  if (["optional", "default", "prefault", "nullable", "readonly", "pipe"].includes(def.type) && wrapped) {
    return [...ownProblem(def, node, path), ...refinesWithoutCel(wrapped, node, path)];
  }
  const problems = ownProblem(def, node, path);
  // An object kept as given (x-kubernetes-preserve-unknown-fields, e.g. affinity): nothing below it is checked.
  if (node["x-kubernetes-preserve-unknown-fields"] === true) return problems;
  if (def.type === "object") {
    for (const [name, field] of Object.entries(def.shape as Record<string, unknown>)) {
      problems.push(...refinesWithoutCel(field, node.properties?.[name], `${path}.${name}`));
    }
  } else if (def.type === "array") {
    problems.push(...refinesWithoutCel(def.element, node.items, `${path}[]`));
  } else if (def.type === "record") {
    problems.push(...refinesWithoutCel(def.valueType, node.additionalProperties as SchemaNode, `${path}[*]`));
  } else if (def.type === "union") {
    for (const option of def.options as unknown[]) problems.push(...refinesWithoutCel(option, node, path));
  }
  return problems;
}

function ownProblem(def: Def, node: SchemaNode, path: string): string[] {
  const refined = def.checks?.some((check) => check._zod.def.check === "custom") ?? false;
  const rules = node["x-kubernetes-validations"];
  return refined && !(Array.isArray(rules) && rules.length > 0) ? [path] : [];
}

describe("CEL twins", () => {
  it("every .refine of the spec has a CEL rule on the same CRD node", () => {
    const spec = imClusterOpenApiSchema().properties?.spec;
    assert.deepEqual(refinesWithoutCel(imClusterSpecSchema, spec, "spec"), []);
  });

  it("finds a .refine without one", () => {
    const schema = z
      .object({
        a: z
          .string()
          .refine((a) => a !== "b")
          .describe("a"),
        b: z.array(z.int()).describe("b"),
      })
      .describe("x");
    const json = toStructural(z.toJSONSchema(schema, { io: "input", target: "openapi-3.0" }) as SchemaNode);
    assert.deepEqual(refinesWithoutCel(schema, json, "spec"), ["spec.a"]);
  });
});

describe("generated manifests", () => {
  it("match the committed files under k8s/ (else run npm run crd:write)", () => {
    assert.deepEqual(driftedFiles(), []);
  });
});
