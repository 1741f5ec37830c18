/** A JSON Schema node as z.toJSONSchema emits it and as a CRD's openAPIV3Schema holds it. */
export interface SchemaNode {
  type?: string;
  description?: string;
  properties?: Record<string, SchemaNode>;
  additionalProperties?: SchemaNode | boolean;
  items?: SchemaNode;
  anyOf?: SchemaNode[];
  [keyword: string]: unknown;
}

const safeInteger = Number.MAX_SAFE_INTEGER;
const forbidden = ["$ref", "$defs", "definitions", "oneOf", "allOf", "not", "propertyNames", "const", "nullable"];

/**
 * Turns zod's JSON Schema (target openapi-3.0, io input) into a Kubernetes structural schema: no refs or
 * unions (except int-or-string), no additionalProperties beside properties, a type on every node and a
 * description on every property. Throws with the JSON path of anything it cannot express, so a schema
 * change that Kubernetes would reject fails at generation time.
 */
export function toStructural(node: SchemaNode, path = "spec"): SchemaNode {
  if (node["x-kubernetes-int-or-string"] === true) return intOrString(node, path);
  // An object kept as given (core/v1 Affinity): no schema below it.
  if (node["x-kubernetes-preserve-unknown-fields"] === true) {
    const kept: SchemaNode = { type: "object", "x-kubernetes-preserve-unknown-fields": true };
    return node.description === undefined ? kept : { description: node.description, ...kept };
  }
  for (const keyword of forbidden) {
    if (keyword in node) throw new Error(`${path}: ${keyword} cannot be expressed in a structural schema`);
  }
  if ("anyOf" in node) throw new Error(`${path}: unions other than int-or-string cannot be expressed in a structural schema`);
  if (typeof node.type !== "string") throw new Error(`${path}: no type`);
  const { description, type, properties, additionalProperties, items, ...rest } = node;
  const out: SchemaNode = description === undefined ? { type } : { description, type };
  if (type === "integer" || type === "number") {
    if (rest.minimum === -safeInteger) delete rest.minimum;
    if (rest.maximum === safeInteger) delete rest.maximum;
  }
  if (type === "string" && rest.format === "date-time") delete rest.pattern;
  Object.assign(out, rest);
  if (properties) {
    out.properties = Object.fromEntries(
      Object.entries(properties).map(([name, property]) => {
        if (!property.description) throw new Error(`${path}.${name}: no description (add .describe())`);
        return [name, toStructural(property, `${path}.${name}`)];
      }),
    );
  } else if (typeof additionalProperties === "object") {
    out.additionalProperties = toStructural(additionalProperties, `${path}[*]`);
  }
  if (items) out.items = toStructural(items, `${path}[]`);
  return out;
}

function intOrString(node: SchemaNode, path: string): SchemaNode {
  const branches = node.anyOf ?? [];
  const text = branches.find((branch) => branch.type === "string");
  if (!text || !branches.some((branch) => branch.type === "integer"))
    throw new Error(`${path}: int-or-string needs a string and an integer branch`);
  const out: SchemaNode = {};
  if (node.description !== undefined) out.description = node.description;
  out.anyOf = [{ type: "integer" }, { type: "string" }];
  if (typeof text.pattern === "string") out.pattern = text.pattern;
  if (typeof text.maxLength === "number") out.maxLength = text.maxLength;
  out["x-kubernetes-int-or-string"] = true;
  if ("default" in node) out.default = node.default;
  const rules = [...integerBoundRules(branches.find((branch) => branch.type === "integer") ?? {}), ...celRules(node)];
  if (rules.length > 0) out["x-kubernetes-validations"] = rules;
  return out;
}

/**
 * The integer branch's bounds as CEL rules: a structural schema allows no keywords inside the int-or-string
 * anyOf (Kubernetes "Specifying a structural schema": only `anyOf: [{type: integer}, {type: string}]`), so a
 * minimum there would be lost and, for example, `minAvailable: -1` admitted (`pattern` and `maxLength` apply to
 * strings only and stay on the node). Throws on an integer keyword it cannot carry over.
 */
function integerBoundRules(integer: SchemaNode): { rule: string; message: string }[] {
  const rules: { rule: string; message: string }[] = [];
  for (const [keyword, value] of Object.entries(integer)) {
    if (keyword === "type") continue;
    if (keyword === "minimum" && typeof value === "number" && value !== -safeInteger) {
      rules.push({ rule: `type(self) != int || self >= ${value}`, message: `must be at least ${value}` });
    } else if (keyword === "maximum" && typeof value === "number" && value !== safeInteger) {
      rules.push({ rule: `type(self) != int || self <= ${value}`, message: `must be at most ${value}` });
    } else if (!((keyword === "minimum" || keyword === "maximum") && typeof value === "number")) {
      throw new Error(`integer branch of an int-or-string: ${keyword} cannot be expressed`);
    }
  }
  return rules;
}

function celRules(node: SchemaNode): { rule: string; message: string }[] {
  const rules = node["x-kubernetes-validations"];
  return Array.isArray(rules) ? (rules as { rule: string; message: string }[]) : [];
}

/** Every problem that would make Kubernetes call the schema non-structural (used by the tests). */
export function structuralProblems(node: SchemaNode, path = ""): string[] {
  const problems: string[] = [];
  if ("$ref" in node || "$defs" in node) problems.push(`${path}: $ref`);
  if (node.type === undefined && node["x-kubernetes-int-or-string"] !== true && node["x-kubernetes-preserve-unknown-fields"] !== true) {
    problems.push(`${path}: no type`);
  }
  if (node.properties && node.additionalProperties !== undefined) problems.push(`${path}: properties with additionalProperties`);
  for (const [name, property] of Object.entries(node.properties ?? {})) {
    if (!property.description) problems.push(`${path}.${name}: no description`);
    problems.push(...structuralProblems(property, `${path}.${name}`));
  }
  if (typeof node.additionalProperties === "object") problems.push(...structuralProblems(node.additionalProperties, `${path}[*]`));
  if (node.items) problems.push(...structuralProblems(node.items, `${path}[]`));
  return problems;
}
