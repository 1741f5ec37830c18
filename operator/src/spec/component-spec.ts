import { z } from "zod";
import { annotationMap, extraEnvVar, intOrPercent, labelMap, quantity, toleration } from "./common.js";
import { placementShape } from "./placement.js";

/** Defaults a component's table entry chooses for its spec section. */
export interface ComponentDefaults {
  replicas: number;
  cpuRequest: string;
  memoryRequest: string;
  memoryLimit: string;
  maxReplicas: number;
}

const resourceList = (what: string) =>
  z
    .object({
      cpu: quantity.optional().describe(`CPU ${what} ("500m", 1)`),
      memory: quantity.optional().describe(`Memory ${what} ("256Mi", "1Gi")`),
    })
    .describe(`Resource ${what}`);

const binarySuffixes: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const decimalSuffixes: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, "": 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

/**
 * The value of a Kubernetes resource quantity ("500m" → 0.5, "1Gi" → 1073741824, "1e3" → 1000), as
 * apimachinery's resource.Quantity reads it; NaN for text that is not a quantity.
 */
export function quantityValue(quantity: string | number): number {
  if (typeof quantity === "number") return quantity;
  const match = /^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(.*)$/.exec(quantity);
  if (!match) return Number.NaN;
  const [, number = "", suffix = ""] = match;
  const base = Number(number);
  if (suffix in binarySuffixes) return base * (binarySuffixes[suffix] ?? Number.NaN);
  if (suffix in decimalSuffixes) return base * (decimalSuffixes[suffix] ?? Number.NaN);
  if (/^[eE][+-]?[0-9]+$/.test(suffix)) return base * 10 ** Number(suffix.slice(1));
  return Number.NaN;
}

type Quantity = string | number;
type ResourceList = { cpu?: Quantity | undefined; memory?: Quantity | undefined };
const smaller = (a: Quantity, b: Quantity) => (quantityValue(b) < quantityValue(a) ? b : a);
const larger = (a: Quantity, b: Quantity) => (quantityValue(b) > quantityValue(a) ? b : a);

/**
 * Fills every leaf of a partial `resources` the user left out, so overriding one never drops another (a CPU
 * autoscaler needs requests.cpu): requests.cpu and requests.memory default to the component's, lowered to a
 * given limit of the same resource (Kubernetes requires request ≤ limit; with only a limit it would request the
 * limit); limits.memory defaults to the component's, raised to a given memory request; limits.cpu only when given.
 */
export function defaultResourceLeaves(
  given: { requests?: ResourceList | undefined; limits?: ResourceList | undefined },
  defaults: ComponentDefaults,
): { requests: ResourceList; limits: ResourceList } {
  const requestsCpu =
    given.requests?.cpu ?? (given.limits?.cpu === undefined ? defaults.cpuRequest : smaller(defaults.cpuRequest, given.limits.cpu));
  const requestsMemory =
    given.requests?.memory ??
    (given.limits?.memory === undefined ? defaults.memoryRequest : smaller(defaults.memoryRequest, given.limits.memory));
  const limitsMemory = given.limits?.memory ?? larger(defaults.memoryLimit, requestsMemory);
  const limits: ResourceList = given.limits?.cpu === undefined ? { memory: limitsMemory } : { cpu: given.limits.cpu, memory: limitsMemory };
  return { requests: { cpu: requestsCpu, memory: requestsMemory }, limits };
}

const notAbove = (resource: "cpu" | "memory") =>
  `!has(self.requests.${resource}) || !has(self.limits.${resource}) || ` +
  `quantity(string(self.requests.${resource})).compareTo(quantity(string(self.limits.${resource}))) <= 0`;

/** core/v1 validation: a request must not exceed the limit of the same resource (CEL's Kubernetes quantity library). */
const requestsRule = {
  rule: `!has(self.requests) || !has(self.limits) || ((${notAbove("cpu")}) && (${notAbove("memory")}))`,
  message: "a request must not exceed the limit of the same resource",
};

function requestsWithinLimits(given: { requests?: ResourceList | undefined; limits?: ResourceList | undefined }): boolean {
  return (["cpu", "memory"] as const).every((resource) => {
    const request = given.requests?.[resource];
    const limit = given.limits?.[resource];
    return request === undefined || limit === undefined || quantityValue(request) <= quantityValue(limit);
  });
}

/** Container resources; every leaf left out gets the component's default (defaultResourceLeaves). */
export function resourcesSchema(defaults: ComponentDefaults) {
  return (
    z
      .object({
        requests: resourceList("requests").optional().describe("Resources the scheduler reserves for each pod"),
        limits: resourceList("limits").optional().describe("Most resources a pod may use"),
      })
      // A given request above the given limit of the same resource is refused at admission, not by the Deployment's apply.
      .refine((given) => requestsWithinLimits(given), requestsRule.message)
      .meta({ "x-kubernetes-validations": [requestsRule] })
      .prefault({})
      .transform((given) => defaultResourceLeaves(given, defaults))
      .describe(
        `CPU and memory of each pod (core/v1 ResourceRequirements); each leaf left out is defaulted: requests.cpu ${defaults.cpuRequest}, requests.memory ${defaults.memoryRequest} (at most a given limit), limits.memory ${defaults.memoryLimit} (at least a given request)`,
      )
  );
}

const minMaxRule = {
  rule: "!has(self.minReplicas) || !has(self.maxReplicas) || self.minReplicas <= self.maxReplicas",
  message: "minReplicas must not exceed maxReplicas",
};

/** HorizontalPodAutoscaler settings shared by every component that can autoscale. */
export function autoscalingShape(defaults: ComponentDefaults) {
  return {
    enabled: z.boolean().default(false).describe("Create a HorizontalPodAutoscaler; the Deployment then leaves spec.replicas to it"),
    minReplicas: z.int().min(1).max(1000).default(defaults.replicas).describe("Fewest pods the autoscaler keeps"),
    maxReplicas: z.int().min(1).max(1000).default(defaults.maxReplicas).describe("Most pods the autoscaler starts"),
    targetCPUUtilizationPercentage: z
      .int()
      .min(1)
      .max(100)
      .optional()
      .describe("Average CPU use (percent of requests) to keep; with no target at all the autoscaler keeps 80%"),
  };
}

/** Autoscaling of a component without a connection metric. */
export function autoscalingSchema(defaults: ComponentDefaults) {
  return z
    .object(autoscalingShape(defaults))
    .refine((a) => a.minReplicas <= a.maxReplicas, minMaxRule.message)
    .meta({ "x-kubernetes-validations": [minMaxRule] })
    .prefault({})
    .describe("HorizontalPodAutoscaler (autoscaling/v2)");
}

/** Autoscaling of a component that reports its open connections per pod (the gateway). */
export function connectionAutoscalingSchema(defaults: ComponentDefaults, metric: string) {
  return z
    .object({
      ...autoscalingShape(defaults),
      targetConnectionsPerPod: z
        .int()
        .min(1)
        .optional()
        .describe("Average open connections per pod to keep (a Pods metric; needs prometheus-adapter or a similar custom metrics API)"),
      connectionsMetric: z
        .string()
        .regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, "must be a Prometheus metric name")
        .default(metric)
        .describe("Name of the custom per-pod metric that counts connections, as the metrics adapter exposes it"),
    })
    .refine((a) => a.minReplicas <= a.maxReplicas, minMaxRule.message)
    .meta({ "x-kubernetes-validations": [minMaxRule] })
    .prefault({})
    .describe("HorizontalPodAutoscaler (autoscaling/v2), on CPU and/or connections per pod");
}

const pdbRule = { rule: "has(self.minAvailable) != has(self.maxUnavailable)", message: "give exactly one of minAvailable, maxUnavailable" };

/** PodDisruptionBudget (policy/v1) of a component. */
export const podDisruptionBudgetSchema = z
  .object({
    minAvailable: intOrPercent.optional().describe("Pods (or percentage) that must stay up during voluntary disruptions"),
    maxUnavailable: intOrPercent.optional().describe("Pods (or percentage) that may be down during voluntary disruptions"),
  })
  .refine((pdb) => (pdb.minAvailable === undefined) !== (pdb.maxUnavailable === undefined), pdbRule.message)
  .meta({ "x-kubernetes-validations": [pdbRule] })
  .describe("PodDisruptionBudget (policy/v1); none is created when unset");

/** Fields every component section has, whatever the component. */
export function componentShape(defaults: ComponentDefaults) {
  return {
    replicas: z
      .int()
      .min(0)
      .max(1000)
      .default(defaults.replicas)
      .describe("Pods to run; ignored while autoscaling is enabled (the autoscaler owns the count)"),
    resources: resourcesSchema(defaults),
    podDisruptionBudget: podDisruptionBudgetSchema.optional(),
    extraEnv: z.array(extraEnvVar).max(100).default([]).describe("Extra environment variables; they win over the operator's"),
    nodeSelector: labelMap.optional().describe("Node labels the pods must run on"),
    tolerations: z.array(toleration).max(50).optional().describe("Taints the pods tolerate"),
    podAnnotations: annotationMap.optional().describe("Annotations added to the pods"),
    ...placementShape,
  };
}
