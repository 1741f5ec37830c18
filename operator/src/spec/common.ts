import { z } from "zod";

/** A DNS-1123 subdomain: names of Secrets and other objects. */
export const objectName = z
  .string()
  .max(253)
  .regex(
    /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/,
    "must be a DNS-1123 subdomain (lowercase letters, digits, '-', '.')",
  );

/** A key inside a Secret or ConfigMap. */
export const dataKey = z
  .string()
  .max(253)
  .regex(/^[-._a-zA-Z0-9]+$/, "must consist of letters, digits, '-', '_' or '.'");

/**
 * A Kubernetes resource quantity ("500m", "1Gi", 2): string or integer, as core/v1 declares it, but never negative:
 * the API server refuses a negative request or limit when the Deployment is applied (core/v1 validation,
 * ValidateResourceQuantityValue), so the CRD refuses it first (the integer branch's minimum becomes a CEL rule,
 * crd/structural.ts).
 */
export const quantity = z
  .union([
    z
      .string()
      .regex(
        /^\+?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$/,
        "must be a non-negative quantity such as 500m, 1, 256Mi or 1Gi",
      ),
    z.int().min(0),
  ])
  .meta({ "x-kubernetes-int-or-string": true });

/**
 * A non-negative integer or a percentage from 0% to 100%, as PodDisruptionBudget.minAvailable/maxUnavailable
 * (policy/v1 validation refuses negatives and percentages above 100%).
 */
export const intOrPercent = z
  .union([z.string().regex(/^(100|[1-9]?[0-9])%$/, "must be a non-negative integer or a percentage from 0% to 100%"), z.int().min(0)])
  .meta({ "x-kubernetes-int-or-string": true });

/** A reference to one key of a Secret. */
export const secretKeyRef = z
  .object({
    name: objectName.describe("Name of the Secret (in the ImCluster's namespace)"),
    key: dataKey.describe("Key inside the Secret"),
    optional: z.boolean().optional().describe("Start the pod even when the Secret or key is missing"),
  })
  .describe("Selects a key of a Secret");

/** A reference to one key of a ConfigMap. */
export const configMapKeyRef = z
  .object({
    name: objectName.describe("Name of the ConfigMap (in the ImCluster's namespace)"),
    key: dataKey.describe("Key inside the ConfigMap"),
    optional: z.boolean().optional().describe("Start the pod even when the ConfigMap or key is missing"),
  })
  .describe("Selects a key of a ConfigMap");

/** One extra environment variable of a component: a literal value or a Secret/ConfigMap key. */
export const extraEnvVar = z
  .object({
    name: z
      .string()
      .regex(/^[-._a-zA-Z][-._a-zA-Z0-9]*$/, "must be a valid environment variable name")
      .describe("Variable name; it replaces a variable of the same name the operator sets"),
    value: z.string().optional().describe("Literal value (give value or valueFrom, not both)"),
    valueFrom: z
      .object({
        secretKeyRef: secretKeyRef.optional(),
        configMapKeyRef: configMapKeyRef.optional(),
      })
      .refine(
        (source) => (source.secretKeyRef === undefined) !== (source.configMapKeyRef === undefined),
        "give exactly one of secretKeyRef, configMapKeyRef",
      )
      .meta({
        "x-kubernetes-validations": [
          { rule: "has(self.secretKeyRef) != has(self.configMapKeyRef)", message: "give exactly one of secretKeyRef, configMapKeyRef" },
        ],
      })
      .optional()
      .describe("Take the value from a Secret or ConfigMap key"),
  })
  .refine((env) => (env.value === undefined) !== (env.valueFrom === undefined), "give exactly one of value, valueFrom")
  .meta({
    "x-kubernetes-validations": [{ rule: "has(self.value) != has(self.valueFrom)", message: "give exactly one of value, valueFrom" }],
  })
  .describe("An environment variable added to the component's container");

export type ExtraEnvVar = z.output<typeof extraEnvVar>;

const labelValuePattern = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;
// A qualified name (label or annotation key): optional DNS-1123 subdomain prefix and "/", then a name of at most
// 63 characters (k8s.io/apimachinery validation.IsQualifiedName). The prefix's 253-character bound is a separate check.
const qualifiedNameSource =
  "^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$";
const qualifiedNamePattern = new RegExp(qualifiedNameSource);
const isQualifiedName = (key: string) => qualifiedNamePattern.test(key) && (!key.includes("/") || key.indexOf("/") <= 253);
const qualifiedNameCel = (variable: string) =>
  `${variable}.matches('${qualifiedNameSource.replaceAll("\\", "\\\\")}') && (!${variable}.contains('/') || ${variable}.indexOf('/') <= 253)`;

/**
 * A label key or other qualified name ("kubernetes.io/hostname"): an optional DNS subdomain prefix and "/", then
 * at most 63 letters, digits, '-', '_', '.' (apimachinery IsQualifiedName), checked by zod and by CEL.
 */
export const qualifiedName = z
  .string()
  .max(317)
  .refine(isQualifiedName, "must be a qualified name, e.g. kubernetes.io/hostname")
  .meta({
    "x-kubernetes-validations": [{ rule: qualifiedNameCel("self"), message: "must be a qualified name, e.g. kubernetes.io/hostname" }],
  });

/** Most entries of a label or annotation map the CRD accepts (it also bounds the CEL rules' cost). */
export const maxMapEntries = 64;

const keysRule = {
  rule: `self.all(k, ${qualifiedNameCel("k")})`,
  message: "every key must be a qualified name (an optional DNS subdomain prefix and '/', then at most 63 letters, digits, '-', '_', '.')",
};

function keyedMap(value: z.ZodString) {
  return z
    .record(z.string(), value)
    .refine((map) => Object.keys(map).length <= maxMapEntries, `at most ${maxMapEntries} entries`)
    .refine((map) => Object.keys(map).every(isQualifiedName), keysRule.message)
    .meta({ maxProperties: maxMapEntries, "x-kubernetes-validations": [keysRule] });
}

/** Labels (or a label selector's matchLabels): qualified-name keys, label values (apimachinery ValidateLabels). */
export const labelMap = keyedMap(
  z
    .string()
    .max(63)
    .regex(labelValuePattern, "must be a label value: at most 63 letters, digits, '-', '_', '.', starting and ending alphanumeric"),
);

/** Annotations: qualified-name keys (apimachinery ValidateAnnotations), any values. */
export const annotationMap = keyedMap(z.string());

const tolerationRules = [
  {
    rule: "(has(self.key) && self.key != '') || (has(self.operator) && self.operator == 'Exists')",
    message: "operator must be Exists when key is empty (which matches every taint)",
  },
  {
    rule: "!has(self.operator) || self.operator != 'Exists' || !has(self.value) || self.value == ''",
    message: "value must be empty when operator is Exists",
  },
  {
    rule: "!has(self.tolerationSeconds) || (has(self.effect) && self.effect == 'NoExecute')",
    message: "effect must be NoExecute when tolerationSeconds is set",
  },
] as const;

const taintKeyRule = { rule: `self == '' || (${qualifiedNameCel("self")})`, message: "must be a qualified name (a taint key)" };

/** A pod toleration (core/v1 Toleration), with the checks core/v1 validateTolerations makes at the pod's apply. */
export const toleration = z
  .object({
    key: z
      .string()
      .max(317)
      .refine((key) => key === "" || isQualifiedName(key), taintKeyRule.message)
      .meta({ "x-kubernetes-validations": [taintKeyRule] })
      .optional()
      .describe("Taint key the toleration applies to; empty with operator Exists matches all taints"),
    operator: z.enum(["Exists", "Equal"]).optional().describe("Exists or Equal (default Equal)"),
    value: z
      .string()
      .max(63)
      .regex(labelValuePattern, "must be a label value")
      .optional()
      .describe("Taint value to match with operator Equal"),
    effect: z.enum(["NoSchedule", "PreferNoSchedule", "NoExecute"]).optional().describe("Taint effect to match; empty matches all effects"),
    tolerationSeconds: z.int().min(0).optional().describe("How long a NoExecute taint is tolerated before eviction"),
  })
  .refine((t) => (t.key ?? "") !== "" || t.operator === "Exists", tolerationRules[0].message)
  .refine((t) => t.operator !== "Exists" || (t.value ?? "") === "", tolerationRules[1].message)
  .refine((t) => t.tolerationSeconds === undefined || t.effect === "NoExecute", tolerationRules[2].message)
  .meta({ "x-kubernetes-validations": [...tolerationRules] })
  .describe("Lets the pods schedule onto nodes with a matching taint");

export type Toleration = z.output<typeof toleration>;

/** A map of label or annotation values. */
export const stringMap = z.record(z.string(), z.string());
