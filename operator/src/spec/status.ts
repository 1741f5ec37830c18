import { z } from "zod";

const dateTime = z.iso.datetime();

/** Condition types the operator sets on an ImCluster. */
export const conditionTypes = ["Available", "Progressing", "Degraded", "Reconciled"] as const;
export type ConditionType = (typeof conditionTypes)[number];

/** metav1.Condition. */
export const conditionSchema = z
  .object({
    type: z
      .string()
      .max(316)
      .regex(/^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$/)
      .describe("Condition type: Available, Progressing, Degraded or Reconciled"),
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
      .describe("Available, Progressing, Degraded and Reconciled"),
    components: z.record(z.string(), componentStatusSchema).optional().describe("Rollout state per component (api, gateway, ...)"),
    shardLayout: z
      .object({
        messageShards: z.int().min(1).max(1024).describe("MESSAGE_SHARDS the apps run with"),
        since: dateTime.describe("When this shard count was first applied"),
      })
      .optional()
      .describe("The message shard layout in force (may lag spec.messageShards when a change was refused)"),
    gatewaysReady: z.int().min(0).optional().describe("Gateway pods ready to take connections"),
    onlineUsers: z.int().min(0).optional().describe("Users online across all gateways (sum of im_online_users), when known"),
  })
  .describe("Observed state of the IM platform installation");

export type ImClusterStatus = z.output<typeof imClusterStatusSchema>;
