import { createHash } from "node:crypto";
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

/** Longest dashboard uid Grafana accepts. */
export const maxDashboardUid = 40;

/**
 * A dashboard made unique to one ImCluster, so two clusters' ConfigMaps loaded by the same Grafana do not
 * collide (Grafana keys dashboards by uid and refuses a second one with the same uid): uid becomes
 * `<uid>-<8 hex of sha256(namespace/name)>` cut to at most 40 characters, title gets ` (<namespace>/<name>)`.
 * Text that is not a JSON object is returned unchanged.
 */
export function uniqueDashboard(json: string, owner: Pick<Owner, "name" | "namespace">): string {
  let dashboard: unknown;
  try {
    dashboard = JSON.parse(json);
  } catch {
    return json;
  }
  if (typeof dashboard !== "object" || dashboard === null || Array.isArray(dashboard)) return json;
  const fields = dashboard as Record<string, unknown>;
  const suffix = createHash("sha256").update(`${owner.namespace}/${owner.name}`).digest("hex").slice(0, 8);
  const uid = typeof fields.uid === "string" && fields.uid ? fields.uid : "im";
  const unique: Record<string, unknown> = { ...fields, uid: `${uid.slice(0, maxDashboardUid - suffix.length - 1)}-${suffix}` };
  if (typeof fields.title === "string") unique.title = `${fields.title} (${owner.namespace}/${owner.name})`;
  return JSON.stringify(unique, null, 2);
}

/**
 * The ConfigMap the Grafana sidecar loads (label grafana_dashboard=1): file name → dashboard JSON, each made
 * unique to this cluster (uniqueDashboard).
 */
export function dashboardsConfigMap(
  owner: Owner,
  spec: ImClusterSpec,
  dashboards: Record<string, string> | undefined,
): KubeObject | undefined {
  const settings = spec.observability.dashboards;
  if (!settings.enabled) return undefined;
  if (!dashboards) throw new Error("render: observability.dashboards is enabled but RenderOptions.dashboards was not given");
  const data = Object.fromEntries(
    Object.entries(dashboards)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([file, json]) => [file, uniqueDashboard(json, owner)]),
  );
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: childMeta(owner, "dashboards", "dashboards", { labels: { ...settings.labels, grafana_dashboard: "1" } }),
    data,
  };
}
