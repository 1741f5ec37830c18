import { annotationIs, hibernationAnnotation } from "../crd/constants.js";
import type { ImCluster } from "../spec/imcluster.js";
import { planShardChange } from "../spec/shard-plan.js";
import { activeComponents, type ComponentSpecView } from "./components.js";
import { ingress } from "./ingress.js";
import type { KubeObject } from "./kube-object.js";
import { childMeta, ownerOf } from "./metadata.js";
import { dashboardsConfigMap, serviceMonitor } from "./observability.js";
import { horizontalPodAutoscaler, podDisruptionBudget } from "./scaling.js";
import { mediaPublicUrl, platformSettingsData } from "./settings.js";
import { deployment, service, type WorkloadInputs } from "./workload.js";

/** Inputs render takes from outside the ImCluster, so it stays pure. */
export interface RenderOptions {
  /** Grafana dashboards, file name → JSON (see loadDashboards); required when observability.dashboards.enabled. */
  dashboards?: Record<string, string>;
  /** resourceVersion (or any version string) of referenced Secrets; a change rolls the components that read them. */
  secretVersions?: Record<string, string>;
}

/**
 * The message shard count to run with: spec.messageShards when planShardChange allows the change from
 * status.shardLayout, else the count in force.
 */
export function messageShardsInForce(cluster: ImCluster): number {
  const current = cluster.status?.shardLayout?.messageShards;
  return planShardChange(current, cluster.spec.messageShards, cluster.spec.messageShardsMigration).messageShards;
}

/**
 * Whether the ImCluster hibernates: annotation im.platform.io/hibernation is "on" (CloudNativePG's
 * cnpg.io/hibernation). Its Deployments then run 0 pods and it has no autoscalers and no disruption budgets.
 */
export function isHibernating(cluster: { metadata: object }): boolean {
  return annotationIs((cluster.metadata as { annotations?: Record<string, string> }).annotations, hibernationAnnotation, "on");
}

/**
 * Every child object of an ImCluster: the settings ConfigMap; per running component (activeComponents) a Deployment, Service and,
 * when configured, HorizontalPodAutoscaler, PodDisruptionBudget, ServiceMonitor and Ingress; the
 * dashboards ConfigMap. While hibernating (isHibernating): Deployments at 0 replicas, no HPA, no PDB. Pure: the same cluster and options give the same objects.
 */
export function render(cluster: ImCluster, options: RenderOptions = {}): KubeObject[] {
  const owner = ownerOf(cluster);
  const spec = cluster.spec;
  const settings = platformSettingsData(spec, messageShardsInForce(cluster));
  const configMap: KubeObject = { apiVersion: "v1", kind: "ConfigMap", metadata: childMeta(owner, "config", "config"), data: settings };
  const inputs: WorkloadInputs = {
    configMapName: configMap.metadata.name,
    settings,
    secretVersions: options.secretVersions ?? {},
    mediaPublicUrl: mediaPublicUrl(spec, owner),
    hibernating: isHibernating(cluster),
  };
  const objects: (KubeObject | undefined)[] = [configMap];
  const running = activeComponents(spec);
  const certificateOwner = running.find((component) => component.ingress)?.name;
  for (const component of running) {
    const section = (spec as unknown as Record<string, ComponentSpecView>)[component.name];
    if (!section) throw new Error(`render: spec.${component.name} is missing (parse the ImCluster with imClusterSchema first)`);
    objects.push(
      deployment(owner, spec, component, section, inputs),
      service(owner, component),
      inputs.hibernating ? undefined : horizontalPodAutoscaler(owner, component, section),
      inputs.hibernating ? undefined : podDisruptionBudget(owner, component, section),
      serviceMonitor(owner, spec, component),
      ingress(owner, spec, component, section, component.name === certificateOwner),
    );
  }
  objects.push(dashboardsConfigMap(owner, spec, options.dashboards));
  return objects.filter((object): object is KubeObject => object !== undefined);
}
