import type { ComponentDefinition, ComponentSpecView } from "./components.js";
import type { KubeObject } from "./kube-object.js";
import { childMeta, type Owner, selectorLabels } from "./metadata.js";

/** The HorizontalPodAutoscaler (autoscaling/v2) of a component, when its autoscaling is enabled. */
export function horizontalPodAutoscaler(owner: Owner, component: ComponentDefinition, section: ComponentSpecView): KubeObject | undefined {
  const autoscaling = section.autoscaling;
  if (!autoscaling?.enabled) return undefined;
  const metrics: unknown[] = [];
  if (autoscaling.targetCPUUtilizationPercentage !== undefined) {
    metrics.push({
      type: "Resource",
      resource: { name: "cpu", target: { type: "Utilization", averageUtilization: autoscaling.targetCPUUtilizationPercentage } },
    });
  }
  if (autoscaling.targetConnectionsPerPod !== undefined && autoscaling.connectionsMetric) {
    metrics.push({
      type: "Pods",
      pods: {
        metric: { name: autoscaling.connectionsMetric },
        target: { type: "AverageValue", averageValue: String(autoscaling.targetConnectionsPerPod) },
      },
    });
  }
  metrics.push(...(component.autoscalingMetrics?.(section, owner.name) ?? []));
  const spec: Record<string, unknown> = {
    scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: `${owner.name}-${component.name}` },
    minReplicas: autoscaling.minReplicas,
    maxReplicas: autoscaling.maxReplicas,
  };
  // No metric means the autoscaler's own default (80% CPU); say so explicitly.
  spec.metrics =
    metrics.length > 0
      ? metrics
      : [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 80 } } }];
  if (component.scaleDown) {
    spec.behavior = {
      scaleDown: {
        stabilizationWindowSeconds: component.scaleDown.stabilizationWindowSeconds,
        policies: [{ type: "Pods", value: component.scaleDown.podsPerMinute, periodSeconds: 60 }],
      },
    };
  }
  return {
    apiVersion: "autoscaling/v2",
    kind: "HorizontalPodAutoscaler",
    metadata: childMeta(owner, component.name, component.name),
    spec,
  };
}

/** The PodDisruptionBudget (policy/v1) of a component, when one is set. */
export function podDisruptionBudget(owner: Owner, component: ComponentDefinition, section: ComponentSpecView): KubeObject | undefined {
  const budget = section.podDisruptionBudget;
  if (!budget) return undefined;
  const spec: Record<string, unknown> = { selector: { matchLabels: selectorLabels(owner, component.name) } };
  if (budget.minAvailable !== undefined) spec.minAvailable = budget.minAvailable;
  if (budget.maxUnavailable !== undefined) spec.maxUnavailable = budget.maxUnavailable;
  return { apiVersion: "policy/v1", kind: "PodDisruptionBudget", metadata: childMeta(owner, component.name, component.name), spec };
}
