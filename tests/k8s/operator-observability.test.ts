// The operator chart's alerts and dashboard (issue 13, operator observability): rendered by the real helm,
// the alerts evaluated by the real promtool on synthetic series (`promtool test rules`).

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { helm } from "@im/testing";
import { parseAllDocuments, stringify } from "yaml";

const root = new URL("../../", import.meta.url).pathname;
const chart = join(root, "charts/im-operator");

interface Rendered {
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: { groups?: Array<{ name: string; rules: Array<{ alert: string; expr: string }> }> };
  data?: Record<string, string>;
}

const render = async (args: string[] = []) =>
  parseAllDocuments(await helm(["template", "im-operator", chart, "--namespace", "im-system", ...args]))
    .map((d) => d.toJSON() as Rendered | null)
    .filter((o): o is Rendered => o !== null);

describe("im-operator chart: alerts and dashboard", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "im-operator-rules-"));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it("renders neither by default, both when enabled (PrometheusRule, dashboard ConfigMap for the Grafana sidecar)", async () => {
    const plain = await render();
    assert.equal(plain.filter((o) => o.kind === "PrometheusRule" || o.metadata.name.includes("dashboard")).length, 0);
    const objects = await render(["--set", "prometheusRule.enabled=true", "--set", "dashboards.enabled=true"]);
    const rule = objects.find((o) => o.kind === "PrometheusRule");
    assert.deepEqual(
      rule?.spec?.groups?.flatMap((g) => g.rules.map((r) => r.alert)),
      ["ImOperatorNoLeader", "ImOperatorReconcileErrors", "ImClusterNotReady"],
    );
    const dashboards = objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === "im-operator-dashboard-im-operator");
    assert.equal(dashboards?.metadata.labels?.grafana_dashboard, "1");
    const json = JSON.parse(dashboards?.data?.["im-operator.json"] ?? "{}") as { uid: string; panels: unknown[] };
    assert.equal(json.uid, "im-operator");
    assert.ok(json.panels.length > 5);
    const monitor = await render(["--set", "serviceMonitor.enabled=true"]);
    assert.match(
      stringify(monitor.find((o) => o.kind === "ServiceMonitor")),
      /honorLabels: true/,
      "the ImCluster's namespace label is kept",
    );
  });

  it("promtool: the alerts fire on the series the operator exports, after their 'for'", async () => {
    const objects = await render(["--set", "prometheusRule.enabled=true"]);
    const groups = objects.find((o) => o.kind === "PrometheusRule")?.spec?.groups;
    const rules = join(dir, "rules.yaml");
    await writeFile(rules, stringify({ groups }));
    const labels = 'namespace="im", name="im"';
    const tests = {
      rule_files: [rules],
      evaluation_interval: "1m",
      tests: [
        {
          interval: "1m",
          input_series: [
            { series: `im_operator_imcluster_condition{${labels}, type="Ready", status="False"}`, values: "1x30" },
            { series: `im_operator_imcluster_condition{${labels}, type="Ready", status="True"}`, values: "0x30" },
            { series: `im_operator_imcluster_condition{namespace="im", name="ok", type="Ready", status="False"}`, values: "0x30" },
            { series: `im_operator_reconcile_errors_total{${labels}}`, values: "0+1x40" },
            { series: 'im_operator_leader{pod="a"}', values: "1x5 0x20" },
            { series: 'im_operator_leader{pod="b"}', values: "0x25" },
          ],
          alert_rule_test: [
            { eval_time: "10m", alertname: "ImClusterNotReady", exp_alerts: [] },
            {
              eval_time: "20m",
              alertname: "ImClusterNotReady",
              exp_alerts: [
                {
                  exp_labels: { severity: "warning", namespace: "im", name: "im" },
                  exp_annotations: {
                    summary: "ImCluster im/im not Ready for 15 minutes",
                    description:
                      "ImCluster im/im has not been Ready for 15 minutes; kubectl get imc shows STATUS, kubectl describe imc the Stalled condition and events.",
                  },
                },
              ],
            },
            { eval_time: "5m", alertname: "ImOperatorNoLeader", exp_alerts: [] },
            {
              eval_time: "15m",
              alertname: "ImOperatorNoLeader",
              exp_alerts: [
                {
                  exp_labels: { severity: "critical" },
                  exp_annotations: {
                    summary: "No im-operator replica leads",
                    description:
                      "No im-operator replica has held the leader-election Lease for 5 minutes; ImCluster changes are not applied and status is not updated.",
                  },
                },
              ],
            },
            {
              eval_time: "35m",
              alertname: "ImOperatorReconcileErrors",
              exp_alerts: [
                {
                  exp_labels: { severity: "warning", namespace: "im", name: "im" },
                  exp_annotations: {
                    summary: "ImCluster im/im fails to reconcile",
                    description:
                      "15 reconciles of ImCluster im/im failed in the last 15 minutes; see kubectl describe imcluster and the operator's logs.",
                  },
                },
              ],
            },
          ],
        },
      ],
    };
    const testFile = join(dir, "tests.yaml");
    await writeFile(testFile, stringify(tests));
    const result = spawnSync("promtool", ["test", "rules", testFile], { encoding: "utf8" });
    // scripts/ensure-tools.sh installs promtool before the tests run: missing, it is a failure, never a skip.
    assert.equal(result.error, undefined, "promtool could not run (scripts/ensure-tools.sh ensure_promtool installs it)");
    assert.equal(result.status, 0, `promtool test rules:\n${result.stdout}${result.stderr}`);
  });
});
