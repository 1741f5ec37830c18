// The Grafana dashboards and Prometheus alert rules of charts/im-platform must only use metrics (and labels)
// the apps really export. The exported set comes from scraping a real API, gateway, scheduler, upload and push app: prom-client
// lists `# TYPE` for every registered metric, and the samples carry the label names.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ImClient } from "@im/client";
import { messageType, type SendMessageInput } from "@im/protocol";
import type { RunningPush } from "@im/push-app";
import { loadSchedulerConfig, type RunningScheduler, startScheduler, USER_STATUS_JOB } from "@im/scheduler";
import { type S3Server, startS3Server } from "@im/testing";
import { loadUploadConfig, startUpload } from "@im/upload";
import { parsePrometheus } from "../support/prometheus.js";
import { drained, eventsAdded, RecordingProvider, registerDevice, startPushApp } from "../support/push.js";
import { connectClient, gateway, type RealtimeWorld, registerUser, startRealtime } from "../support/realtime.js";
import { Rooms } from "../support/rooms.js";

const chart = new URL("../../charts/im-platform/", import.meta.url).pathname;
const dashboardsDir = join(chart, "dashboards");
const rulesFile = join(chart, "alerts/im-platform-rules.yaml");

/** Labels Prometheus attaches at scrape time (target labels), not the apps. */
const TARGET_LABELS = new Set(["instance", "job", "namespace", "pod", "container", "service", "endpoint"]);
const KEYWORDS = new Set([
  "and",
  "or",
  "unless",
  "by",
  "without",
  "on",
  "ignoring",
  "group_left",
  "group_right",
  "offset",
  "bool",
  "inf",
  "nan",
]);
// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a template literal.
const GRAFANA_DATASOURCE = "${datasource}";
const HISTOGRAM_SUFFIXES = ["_bucket", "_sum", "_count"];

interface Query {
  source: string;
  expr: string;
  /** Extra label names the query needs on its metrics (label_values' second argument). */
  labels?: string[];
}

interface Selector {
  name: string;
  matchers: string[];
}

/** The metric selectors and the grouping labels (`by`, `on`, ...) of a PromQL expression. Regex-based, enough for ours. */
export function analysePromQL(expr: string): { selectors: Selector[]; grouping: string[] } {
  const strings = /"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g;
  const grouping: string[] = [];
  const selectors: Selector[] = [];
  let s = expr.replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g, (_, list: string) => {
    grouping.push(
      ...list
        .split(",")
        .map((l) => l.trim())
        .filter(Boolean),
    );
    return " ";
  });
  s = s.replace(/([a-zA-Z_:][\w:]*)?\s*\{([^}]*)\}/g, (_, name: string | undefined, body: string) => {
    const matchers = [...body.replace(strings, '""').matchAll(/([a-zA-Z_]\w*)\s*(?:=~|!~|!=|=)/g)].map((m) => m[1] as string);
    if (!name || KEYWORDS.has(name)) throw new Error(`selector without a metric name in ${expr}`);
    selectors.push({ name, matchers });
    return " ";
  });
  s = s.replace(strings, " ").replace(/\[[^\]]*\]/g, " ");
  for (const [, name] of s.matchAll(/(?<![\w$.:])([a-zA-Z_:][\w:]*)(?![\w:]|\s*\()/g)) {
    if (name && !KEYWORDS.has(name.toLowerCase())) selectors.push({ name, matchers: [] });
  }
  return { selectors, grouping };
}

/** Every query of every dashboard: panel targets (rows included) and templating queries. */
function dashboardQueries(): Query[] {
  const queries: Query[] = [];
  for (const file of readdirSync(dashboardsDir).filter((f) => f.endsWith(".json"))) {
    const dashboard = JSON.parse(readFileSync(join(dashboardsDir, file), "utf8"));
    const panels = (dashboard.panels ?? []).flatMap((p: { panels?: unknown[] }) => [p, ...(p.panels ?? [])]);
    for (const panel of panels) {
      for (const target of panel.targets ?? []) queries.push({ source: `${file} "${panel.title}" ${target.refId}`, expr: target.expr });
    }
    for (const variable of dashboard.templating?.list ?? []) {
      if (variable.type !== "query") continue;
      const query = typeof variable.query === "string" ? variable.query : variable.query.query;
      const labelValues = /^label_values\((.+),\s*(\w+)\)$/.exec(query);
      queries.push(
        labelValues
          ? { source: `${file} $${variable.name}`, expr: labelValues[1] as string, labels: [labelValues[2] as string] }
          : { source: `${file} $${variable.name}`, expr: query },
      );
    }
  }
  return queries;
}

interface AlertRule {
  alert: string;
  expr: string;
  keys: Map<string, string>;
}

/** A tiny reader of our rule file: each `- alert:` block, its `expr` (inline or a `>-` / `|` block) and its other keys. */
function readRules(): AlertRule[] {
  const rules: AlertRule[] = [];
  const lines = readFileSync(rulesFile, "utf8").split("\n");
  let current: AlertRule | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const alert = /^\s*- alert:\s*(\S+)\s*$/.exec(line);
    if (alert) {
      current = { alert: alert[1] as string, expr: "", keys: new Map() };
      rules.push(current);
      continue;
    }
    if (/^\s*- name:/.test(line)) current = undefined;
    const key = /^(\s*)([\w]+):\s*(.*)$/.exec(line);
    if (!current || !key) continue;
    const [, indent, name, rawValue] = key as unknown as [string, string, string, string];
    let value = rawValue.trim();
    if (/^[>|][-+]?$/.test(value)) {
      const block: string[] = [];
      const indentOf = (text: string) => text.length - text.trimStart().length;
      while (i + 1 < lines.length && ((lines[i + 1] as string).trim() === "" || indentOf(lines[i + 1] as string) > indent.length)) {
        block.push((lines[++i] as string).trim());
      }
      value = block.join(" ").trim();
    }
    if (name === "expr") current.expr = value;
    else current.keys.set(name, value);
  }
  return rules;
}

describe("dashboards and alert rules", () => {
  it("dashboards are standard Grafana JSON with a Prometheus datasource variable", () => {
    const uids = new Set<string>();
    const files = readdirSync(dashboardsDir).filter((f) => f.endsWith(".json"));
    assert.deepEqual(files.sort(), ["api.json", "cluster-overview.json", "data-stores.json", "gateway.json", "push.json", "upload.json"]);
    for (const file of files) {
      const dashboard = JSON.parse(readFileSync(join(dashboardsDir, file), "utf8"));
      assert.equal(dashboard.schemaVersion, 39, file);
      assert.ok(dashboard.uid && !uids.has(dashboard.uid), `${file}: a unique uid`);
      uids.add(dashboard.uid);
      assert.ok(dashboard.title, `${file}: a title`);
      const datasource = dashboard.templating.list.find((v: { name: string }) => v.name === "datasource");
      assert.equal(datasource?.type, "datasource", `${file}: a datasource variable`);
      assert.equal(datasource?.query, "prometheus");
      for (const panel of dashboard.panels) {
        assert.ok(
          panel.gridPos && typeof panel.gridPos.w === "number" && typeof panel.gridPos.h === "number",
          `${file} "${panel.title}": gridPos`,
        );
        if (panel.type === "row") continue;
        assert.equal(panel.datasource?.uid, GRAFANA_DATASOURCE, `${file} "${panel.title}": uses the datasource variable`);
        assert.ok(panel.targets?.length > 0, `${file} "${panel.title}": targets`);
        for (const target of panel.targets) assert.ok(target.expr?.trim(), `${file} "${panel.title}": an expr`);
      }
    }
  });

  it("every alert has an expression, a severity, a summary and a description", () => {
    const rules = readRules();
    assert.deepEqual(
      rules.map((r) => r.alert),
      [
        "ImNoGatewayReady",
        "ImReceiptLatencyHigh",
        "ImMessageStoreErrors",
        "ImRedisAdapterDisconnected",
        "ImHttp5xxHigh",
        "ImOnlineUsersDropped",
        "ImStorageErrors",
        "ImUploadsFailing",
        "ImPushProviderFailing",
        "ImPushQueueStale",
      ],
    );
    for (const rule of rules) {
      assert.ok(rule.expr, `${rule.alert}: expr`);
      assert.match(rule.keys.get("severity") ?? "", /^(critical|warning|info)$/, `${rule.alert}: severity`);
      assert.ok(rule.keys.get("summary"), `${rule.alert}: summary`);
      assert.ok(rule.keys.get("description"), `${rule.alert}: description`);
      assert.match(rule.keys.get("for") ?? "", /^\d+[smh]$/, `${rule.alert}: for`);
    }
  });

  it("promtool accepts the rule file", () => {
    const result = spawnSync("promtool", ["check", "rules", rulesFile], { encoding: "utf8" });
    // scripts/ensure-tools.sh installs promtool before the tests run: missing, it is a failure, never a skip.
    assert.equal(result.error, undefined, "promtool could not run (scripts/ensure-tools.sh ensure_promtool installs it)");
    assert.equal(result.status, 0, `promtool check rules:\n${result.stdout}${result.stderr}`);
  });

  it("the PromQL reader finds metrics, matchers and grouping labels", () => {
    const { selectors, grouping } = analysePromQL(
      'histogram_quantile(0.99, sum by (le, route) (rate(a_bucket{app="x", status=~"5.."}[$__rate_interval]))) / ignoring(x) b > 0.5 and max_over_time(c[30m]) offset 5m',
    );
    assert.deepEqual(selectors, [
      { name: "a_bucket", matchers: ["app", "status"] },
      { name: "b", matchers: [] },
      { name: "c", matchers: [] },
    ]);
    assert.deepEqual(grouping, ["le", "route", "x"]);
  });

  describe("against the metrics the apps export", () => {
    let world: RealtimeWorld;
    let scheduler: RunningScheduler | undefined;
    let s3: S3Server | undefined;
    let upload: { url: string; close(): Promise<void> } | undefined;
    let push: RunningPush | undefined;
    /** Metric family → type and the label names seen on its samples (all apps together). */
    const exported = new Map<string, { type: string; labels: Set<string> }>();

    const familyOf = (name: string) => {
      if (exported.has(name)) return name;
      const suffix = HISTOGRAM_SUFFIXES.find((s) => name.endsWith(s));
      const base = suffix ? name.slice(0, -suffix.length) : undefined;
      const family = base ? exported.get(base) : undefined;
      if (base && family && (family.type === "histogram" || (family.type === "summary" && suffix !== "_bucket"))) return base;
      return undefined;
    };

    const record = (text: string) => {
      for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
        if (name && type && !exported.has(name)) exported.set(name, { type, labels: new Set() });
      }
      for (const sample of parsePrometheus(text)) {
        const family = familyOf(sample.name);
        assert.ok(family, `sample ${sample.name} without a # TYPE`);
        for (const label of Object.keys(sample.labels)) exported.get(family)?.labels.add(label);
      }
    };
    const fetchText = async (url: string) => {
      const response = await fetch(`${url}/metrics`);
      assert.equal(response.status, 200, `${url}/metrics`);
      return response.text();
    };

    before(async () => {
      // PUSH_ENABLED: the gateway and the API register the message path's push metrics.
      world = await startRealtime(1, { API_SMS_REQUIRED: "false", PUSH_ENABLED: "true" });
      const gw = gateway(world, 0);
      // Traffic so the labelled series exist: friends and a room (system messages), a single and a group
      // message, a resend, a refused send, a sync, a refused handshake and a closed socket.
      const rooms = new Rooms(world.stack, world.api);
      const [owner, member, other] = await rooms.users(3);
      if (!owner || !member || !other) throw new Error("three users");
      const roomId = await rooms.room(owner, [member, other]);
      const o = await connectClient(world, owner, gw);
      const m = await connectClient(world, member, gw, { resource: "pc" });
      const messageId = crypto.randomUUID();
      await o.send({ messageId, chatType: 1, to: String(member.userId), type: messageType.text, content: "hi" });
      await o.send({ messageId, chatType: 1, to: String(member.userId), type: messageType.text, content: "hi" });
      await o.send({ chatType: 2, to: roomId, type: messageType.text, content: "hello room" });
      const emit = (payload: unknown) => o.socket.timeout(5_000).emitWithAck("message:send", payload as SendMessageInput);
      const refused = await emit({ messageId: crypto.randomUUID(), chatType: 1, to: "99999999", type: messageType.text, content: "?" });
      assert.equal(refused.ok, false);
      assert.ok((await m.socket.timeout(5_000).emitWithAck("sync", { cursors: {} })).ok);
      const intruder = new ImClient({ url: gw.url, token: "not-a-token" });
      world.clients.push(intruder);
      await assert.rejects(intruder.connect());
      const leaver = await connectClient(world, other, gw);
      leaver.close();

      scheduler = await startScheduler(
        loadSchedulerConfig({
          SCHEDULER_HOST: "127.0.0.1",
          SCHEDULER_PORT: "0",
          SCHEDULER_ID: "observability-test",
          MONGO_URL: world.stack.config.MONGO_URL,
          REDIS_URL: world.stack.config.REDIS_URL,
          MESSAGE_SHARDS: String(world.stack.config.MESSAGE_SHARDS),
          LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
          SCHEDULER_SNAPSHOT_INTERVAL_SECONDS: "86400",
          SCHEDULER_RETENTION_INTERVAL_SECONDS: "604800",
          SCHEDULER_PROCESS_EVERY_MS: "200",
          SCHEDULER_JOB_LOCK_TTL_MS: "2000",
        }),
      );
      // A snapshot while two clients are online, so im_cluster_online_devices has resource series.
      const run = await scheduler.runJob(USER_STATUS_JOB);
      assert.equal(run.outcome, "ran", JSON.stringify(run));

      // The closed socket reaches the gateway a moment after the client closes.
      for (let i = 0; i < 100 && !/^im_connections_closed_total\{/m.test(await fetchText(gw.url)); i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      // The upload app on a real S3 server (versitygw): its im_* series exist from the start (every label set at 0);
      // one refused upload and one unknown download add traffic of their own.
      s3 = await startS3Server();
      upload = await startUpload(
        loadUploadConfig({
          UPLOAD_HOST: "127.0.0.1",
          UPLOAD_PORT: "0",
          MONGO_URL: world.stack.config.MONGO_URL,
          REDIS_URL: world.stack.config.REDIS_URL,
          MESSAGE_SHARDS: String(world.stack.config.MESSAGE_SHARDS),
          LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
          S3_ENDPOINT: s3.endpoint,
          S3_REGION: s3.region,
          S3_ACCESS_KEY_ID: s3.accessKey,
          S3_SECRET_ACCESS_KEY: s3.secretKey,
        }),
      );
      const form = new FormData();
      form.append("file", new Blob([new Uint8Array(0)]), "empty.png");
      const refusedUpload = await fetch(`${upload.url}/v1/uploads?kind=image`, {
        method: "POST",
        body: form,
        headers: { authorization: `Bearer ${owner.token}` },
      });
      assert.ok(refusedUpload.status >= 400 && refusedUpload.status < 500, `an empty upload is refused, got ${refusedUpload.status}`);
      const missing = await fetch(`${upload.url}/v1/media/${"0".repeat(32)}`, {
        headers: { authorization: `Bearer ${owner.token}` },
        redirect: "manual",
      });
      assert.equal(missing.status, 404);
      // The push app; its provider calls an offline user's token invalid, so the pruned-token counter has a series.
      const provider = new RecordingProvider(["fcm"]);
      push = await startPushApp(world.stack, {}, { providers: [provider] });
      const offline = await registerUser(world.stack, world.api);
      const token = await registerDevice(world.api, offline, "fcm");
      provider.script.set(token, ["invalid-token"]);
      const queued = await eventsAdded(world.stack.api.deps.redis);
      await o.send({ chatType: 1, to: String(offline.userId), type: messageType.text, content: "are you there?" });
      await drained(world.stack.api.deps.redis, queued + 1);
      assert.equal(provider.to(token).length, 1);
      for (const url of [world.stack.api.url, gw.url, scheduler.url, upload.url, push.url]) record(await fetchText(url));
    });
    after(async () => {
      await push?.close();
      await upload?.close();
      await s3?.stop();
      await scheduler?.close();
      await world?.stop();
    });

    it("the scrape saw every app's metrics", () => {
      for (const name of ["http_request_duration_seconds", "im_online_users", "im_cluster_online_users", "process_cpu_seconds_total"]) {
        assert.ok(exported.has(name), name);
      }
      assert.deepEqual([...(exported.get("im_cluster_online_devices")?.labels ?? [])].sort(), ["app", "resource"]);
    });

    it("the upload app exports the contract's media metrics with their labels", () => {
      const labels = (name: string) => [...(exported.get(name)?.labels ?? [])].filter((l) => l !== "app").sort();
      assert.deepEqual(labels("im_uploads_total"), ["kind", "outcome"]);
      assert.deepEqual(labels("im_upload_bytes_total"), ["kind"]);
      assert.equal(exported.get("im_media_processing_seconds")?.type, "histogram");
      assert.deepEqual(labels("im_media_processing_seconds"), ["le", "step"]);
      assert.deepEqual(labels("im_storage_errors_total"), ["operation"]);
      assert.deepEqual(labels("im_media_downloads_total"), ["outcome", "variant"]);
    });

    it("dashboards and alerts use only exported metrics and their labels", () => {
      const queries: Query[] = [...dashboardQueries(), ...readRules().map((r) => ({ source: `rules ${r.alert}`, expr: r.expr }))];
      assert.ok(queries.length > 40, `found ${queries.length} queries`);
      const problems: string[] = [];
      for (const query of queries) {
        const { selectors, grouping } = analysePromQL(query.expr);
        if (selectors.length === 0) problems.push(`${query.source}: no metric in ${query.expr}`);
        const available = new Set(TARGET_LABELS);
        for (const selector of selectors) {
          const family = familyOf(selector.name);
          if (!family) {
            problems.push(`${query.source}: ${selector.name} is not exported`);
            continue;
          }
          const { type, labels } = exported.get(family) as { type: string; labels: Set<string> };
          const own = new Set([...labels, ...TARGET_LABELS, "app"]);
          if (type !== "histogram" || !selector.name.endsWith("_bucket")) own.delete("le");
          for (const label of own) available.add(label);
          for (const matcher of selector.matchers) {
            if (!own.has(matcher)) problems.push(`${query.source}: ${selector.name} has no label ${matcher}`);
          }
        }
        for (const label of [...grouping, ...(query.labels ?? [])]) {
          if (!available.has(label)) problems.push(`${query.source}: no metric of ${query.expr} has label ${label}`);
        }
      }
      assert.deepEqual(problems, []);
    });
  });
});
