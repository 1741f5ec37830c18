import type { ImClusterSpec } from "../spec/imcluster.js";
import type { ComponentDefinition } from "./components.js";
import type { KubeObject } from "./kube-object.js";
import { childMeta, type Owner, selectorLabels } from "./metadata.js";

/** The ServiceMonitor (monitoring.coreos.com/v1) scraping one component's `metrics` Service port. */
export function serviceMonitor(owner: Owner, spec: ImClusterSpec, component: ComponentDefinition): KubeObject | undefined {
  const monitor = spec.observability.serviceMonitor;
  if (!monitor.enabled) return undefined;
  return {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "ServiceMonitor",
    metadata: childMeta(owner, component.name, component.name, { labels: monitor.labels }),
    spec: {
      selector: { matchLabels: selectorLabels(owner, component.name) },
      endpoints: [{ port: "metrics", path: component.metricsPath, interval: monitor.interval }],
    },
  };
}

/** The ConfigMap the Grafana sidecar loads (label grafana_dashboard=1): file name → dashboard JSON. */
export function dashboardsConfigMap(
  owner: Owner,
  spec: ImClusterSpec,
  dashboards: Record<string, string> | undefined,
): KubeObject | undefined {
  const settings = spec.observability.dashboards;
  if (!settings.enabled) return undefined;
  if (!dashboards) throw new Error("render: observability.dashboards is enabled but RenderOptions.dashboards was not given");
  const data = Object.fromEntries(Object.entries(dashboards).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: childMeta(owner, "dashboards", "dashboards", { labels: { ...settings.labels, grafana_dashboard: "1" } }),
    data,
  };
}
