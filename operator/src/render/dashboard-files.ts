import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** charts/im-platform/dashboards in this repository (the operator image ships it at the same relative path). */
export const defaultDashboardsDir = fileURLToPath(new URL("../../../charts/im-platform/dashboards/", import.meta.url));

/** Reads the Grafana dashboards (*.json) for RenderOptions.dashboards; the only I/O next to render. */
export function loadDashboards(dir = defaultDashboardsDir): Record<string, string> {
  const files = readdirSync(dir)
    .filter((name) => name.endsWith(".json"))
    .sort();
  return Object.fromEntries(files.map((name) => [name, readFileSync(join(dir, name), "utf8")]));
}
