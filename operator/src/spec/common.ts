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

/** A Kubernetes resource quantity ("500m", "1Gi", 2): string or integer, as core/v1 declares it. */
export const quantity = z
  .union([
    z.string().regex(/^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$/),
    z.int(),
  ])
  .meta({ "x-kubernetes-int-or-string": true });

/** An integer or a percentage ("25%"), as in PodDisruptionBudget.minAvailable. */
export const intOrPercent = z.union([z.string().regex(/^[0-9]+%$/, "must be an integer or a percentage like 25%"), z.int().min(0)]).meta({
  "x-kubernetes-int-or-string": true,
});

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

/** A pod toleration (core/v1 Toleration). */
export const toleration = z
  .object({
    key: z.string().max(316).optional().describe("Taint key the toleration applies to; empty with operator Exists matches all taints"),
    operator: z.enum(["Exists", "Equal"]).optional().describe("Exists or Equal (default Equal)"),
    value: z.string().max(63).optional().describe("Taint value to match with operator Equal"),
    effect: z.enum(["NoSchedule", "PreferNoSchedule", "NoExecute"]).optional().describe("Taint effect to match; empty matches all effects"),
    tolerationSeconds: z.int().min(0).optional().describe("How long a NoExecute taint is tolerated before eviction"),
  })
  .describe("Lets the pods schedule onto nodes with a matching taint");

export type Toleration = z.output<typeof toleration>;

/** A map of label or annotation values. */
export const stringMap = z.record(z.string(), z.string());
