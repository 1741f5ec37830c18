import { z } from "zod";
import { qualifiedName } from "./common.js";

/**
 * A core/v1 Affinity (nodeAffinity, podAffinity, podAntiAffinity), passed to the pod spec as given. Not
 * re-declared here: the CRD keeps it as an object with x-kubernetes-preserve-unknown-fields and the API server
 * validates it against core/v1 when the operator applies the Deployment (a mistake shows as ApplyFailed).
 */
export const affinitySchema = z
  .record(z.string(), z.unknown())
  .meta({ "x-kubernetes-preserve-unknown-fields": true })
  .describe("Pod affinity and anti-affinity (core/v1 Affinity), copied to the pods as given");

/** A label selector (meta/v1 LabelSelector), passed through as given. */
const labelSelector = z
  .record(z.string(), z.unknown())
  .meta({ "x-kubernetes-preserve-unknown-fields": true })
  .describe("Pods counted for the spread (meta/v1 LabelSelector); default: this component's pods");

const minDomainsRule = {
  rule: "!has(self.minDomains) || self.whenUnsatisfiable == 'DoNotSchedule'",
  message: "minDomains needs whenUnsatisfiable DoNotSchedule",
};

const uniqueSpreadRule = {
  rule: "self.all(a, self.exists_one(b, b.topologyKey == a.topologyKey && b.whenUnsatisfiable == a.whenUnsatisfiable))",
  message: "each (topologyKey, whenUnsatisfiable) pair may appear once",
};

/** One core/v1 TopologySpreadConstraint; labelSelector defaults to the component's own pods. */
export const topologySpreadConstraintSchema = z
  .object({
    maxSkew: z.int().min(1).describe("Most pods one topology domain may have above the least loaded one"),
    topologyKey: qualifiedName.describe("Node label whose values are the domains (kubernetes.io/hostname, topology.kubernetes.io/zone)"),
    whenUnsatisfiable: z
      .enum(["DoNotSchedule", "ScheduleAnyway"])
      .describe("DoNotSchedule keeps pods pending; ScheduleAnyway only prefers the spread"),
    labelSelector: labelSelector.optional(),
    matchLabelKeys: z
      .array(qualifiedName)
      .max(20)
      .optional()
      .describe("Pod label keys whose values also select the pods counted (e.g. pod-template-hash)"),
    minDomains: z.int().min(1).optional().describe("Fewest domains counted (DoNotSchedule only)"),
    nodeAffinityPolicy: z.enum(["Honor", "Ignore"]).optional().describe("Whether nodeAffinity/nodeSelector limit the domains"),
    nodeTaintsPolicy: z.enum(["Honor", "Ignore"]).optional().describe("Whether node taints limit the domains"),
  })
  // core/v1 validation refuses minDomains with ScheduleAnyway when the Deployment is applied; refused here first.
  .refine((c) => c.minDomains === undefined || c.whenUnsatisfiable === "DoNotSchedule", minDomainsRule.message)
  .meta({ "x-kubernetes-validations": [minDomainsRule] })
  .describe("How the pods spread across a topology (core/v1 TopologySpreadConstraint)");

export type TopologySpreadConstraint = z.output<typeof topologySpreadConstraintSchema>;

/** A PriorityClass name (a DNS-1123 subdomain). */
export const priorityClassNameSchema = z
  .string()
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, "must be a PriorityClass name (DNS-1123 subdomain)")
  .describe("PriorityClass of the pods (scheduling priority and preemption)");

/** The placement fields every component section has (componentShape). */
export const placementShape = {
  affinity: affinitySchema.optional(),
  topologySpreadConstraints: z
    .array(topologySpreadConstraintSchema)
    .max(10)
    .refine((list) => new Set(list.map((c) => `${c.topologyKey} ${c.whenUnsatisfiable}`)).size === list.length, uniqueSpreadRule.message)
    .meta({ "x-kubernetes-validations": [uniqueSpreadRule] })
    .optional()
    .describe(
      "Spread of the pods across nodes and zones; the gateway's default spreads across kubernetes.io/hostname and topology.kubernetes.io/zone (maxSkew 1, ScheduleAnyway); [] for none",
    ),
  priorityClassName: priorityClassNameSchema.optional(),
};

/**
 * The gateway's default spread: one pod per node and per zone as far as possible, never blocking scheduling
 * (ScheduleAnyway), so losing a node or a zone cuts as few users as it can (Kubernetes docs, "Pod Topology Spread
 * Constraints"; the built-in cluster defaults use the same two keys).
 */
export const defaultGatewaySpread: readonly TopologySpreadConstraint[] = [
  { maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway" },
  { maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway" },
];

/**
 * The pod spec fields of a component's placement: affinity and priorityClassName as given; its spread
 * constraints (or `defaults` when it gives none), each without a labelSelector selecting the component's own
 * pods (`selector`, the Deployment's matchLabels).
 */
export function placementPodFields(
  section: { affinity?: Record<string, unknown>; topologySpreadConstraints?: TopologySpreadConstraint[]; priorityClassName?: string },
  selector: Record<string, string>,
  defaults: readonly TopologySpreadConstraint[] = [],
): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  if (section.affinity && Object.keys(section.affinity).length > 0) fields.affinity = section.affinity;
  const spread = section.topologySpreadConstraints ?? defaults;
  if (spread.length > 0) {
    fields.topologySpreadConstraints = spread.map((constraint) => ({
      ...constraint,
      labelSelector: constraint.labelSelector ?? { matchLabels: selector },
    }));
  }
  if (section.priorityClassName) fields.priorityClassName = section.priorityClassName;
  return fields;
}
