import { z } from "zod";
import { annotationMap, extraEnvVar, intOrPercent, labelMap, quantity, toleration } from "./common.js";

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

/** Container resources with a component's defaults. */
export function resourcesSchema(defaults: ComponentDefaults) {
  return z
    .object({
      requests: resourceList("requests").optional().describe("Resources the scheduler reserves for each pod"),
      limits: resourceList("limits").optional().describe("Most resources a pod may use"),
    })
    .prefault({ requests: { cpu: defaults.cpuRequest, memory: defaults.memoryRequest }, limits: { memory: defaults.memoryLimit } })
    .describe("CPU and memory of each pod (core/v1 ResourceRequirements)");
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
  };
}
