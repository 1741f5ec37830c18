import { z } from "zod";

const dateTime = z.iso.datetime();

/**
 * Condition types the operator sets on an ImCluster. Ready is what `kubectl wait --for=condition=Ready` reads;
 * Reconciling and Stalled are kstatus's abnormal-true conditions (Flux, Argo CD, kpt read them); Available
 * says every component serves (at least one available pod); Reconciled is the outcome of the last apply;
 * Paused is True while the pause annotation stops reconciling.
 */
export const conditionTypes = ["Ready", "Available", "Reconciling", "Stalled", "Reconciled", "Paused"] as const;
export type ConditionType = (typeof conditionTypes)[number];

/** metav1.Condition. */
export const conditionSchema = z
  .object({
    type: z
      .string()
      .max(316)
      .regex(/^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$/)
      .describe("Condition type: Ready, Available, Reconciling, Stalled, Reconciled or Paused"),
    status: z.enum(["True", "False", "Unknown"]).describe("True, False or Unknown"),
    reason: z
      .string()
      .min(1)
      .max(1024)
      .regex(/^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/)
      .describe("CamelCase reason for the last transition (e.g. ShardDecreaseRefused)"),
    message: z.string().max(32_768).describe("Human-readable detail"),
    lastTransitionTime: dateTime.describe("When status last changed"),
    observedGeneration: z.int().min(0).optional().describe("metadata.generation the condition was set for"),
  })
  .describe("A standard metav1.Condition");

export type Condition = z.output<typeof conditionSchema>;

const componentStatusSchema = z
  .object({
    desiredReplicas: z.int().min(0).describe("Pods wanted (spec.replicas of the Deployment, or the autoscaler's choice)"),
    readyReplicas: z.int().min(0).describe("Pods passing their readiness probe"),
    updatedReplicas: z.int().min(0).describe("Pods running the current pod template"),
    problem: z
      .object({
        reason: z
          .string()
          .max(256)
          .describe(
            "What is wrong below the Deployment: CrashLoopBackOff, ImagePullBackOff, Unschedulable, OOMKilled, ConfigRefused, SecretMissing, ...",
          ),
        message: z.string().max(4096).describe("Detail, with the pod and container names"),
      })
      .optional()
      .describe("The most serious problem of this component's pods, when there is one"),
  })
  .describe("Rollout state of one component's Deployment");

/** status of an ImCluster, written by the operator through the status subresource. */
export const imClusterStatusSchema = z
  .object({
    observedGeneration: z.int().min(0).optional().describe("metadata.generation last reconciled"),
    conditions: z
      .array(conditionSchema)
      .max(32)
      .optional()
      .meta({ "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"] })
      .describe("Ready, Available, Reconciling, Stalled, Reconciled and Paused"),
    phase: z
      .enum(["Ready", "Reconciling", "Stalled", "Paused", "Hibernated"])
      .optional()
      .describe("One-word summary for the STATUS column: Ready, Reconciling, Stalled, Paused or Hibernated"),
    version: z.string().max(128).optional().describe("Platform version every component runs (spec.version once its rollout completed)"),
    components: z.record(z.string(), componentStatusSchema).optional().describe("Rollout state per component (api, gateway, ...)"),
    shardLayout: z
      .object({
        messageShards: z.int().min(1).max(1024).describe("MESSAGE_SHARDS the apps run with"),
        since: dateTime.describe("When this shard count was first applied"),
      })
      .optional()
      .describe("The message shard layout in force (may lag spec.messageShards when a change was refused)"),
    gatewaysReady: z.int().min(0).optional().describe("Gateway pods ready to take connections"),
    gatewayReplicas: z.int().min(0).optional().describe("Gateway pods that exist (the scale subresource's status.replicas)"),
    gatewaySelector: z
      .string()
      .max(1024)
      .optional()
      .describe("Label selector of the gateway pods (the scale subresource's status.selector)"),
    onlineUsers: z.int().min(0).optional().describe("Users online across all gateways (sum of im_online_users), when known"),
    onlineUsersObservedAt: dateTime.optional().describe("When onlineUsers was last read from the gateways"),
  })
  .describe("Observed state of the IM platform installation");

export type ImClusterStatus = z.output<typeof imClusterStatusSchema>;
