// Issue 13, status and observability, on a real kube-apiserver: Ready for `kubectl wait` and kstatus tools,
// desired counts, pod problems (Pods written through /status as kubelet would), aggregated Events, ONLINE
// read from a real gateway process, the per-ImCluster metrics. There is no controller-manager: the test
// writes Deployment and HPA status as their controllers would.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { connectClient, gateway, registerUser, startRealtime } from "../support/realtime.js";
import { type OperatorProcess, OperatorWorld, root, until } from "./operator-world.js";

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
}
interface ComponentStatus {
  desiredReplicas: number;
  readyReplicas: number;
  updatedReplicas: number;
  problem?: { reason: string; message: string };
}
interface Cluster {
  metadata: { name: string; generation: number };
  status?: {
    observedGeneration?: number;
    conditions?: Condition[];
    phase?: string;
    version?: string;
    components?: Record<string, ComponentStatus>;
    gatewaySelector?: string;
    gatewayReplicas?: number;
    onlineUsers?: number;
    onlineUsersObservedAt?: string;
  };
}
interface Deployment {
  metadata: { generation: number };
  spec: { replicas?: number };
}
interface EventList {
  items: Array<{ metadata: { name: string }; type: string; reason: string; message: string; count?: number }>;
}

const ns = "im";
const name = "st";
const base = `/apis/im.platform.io/v1alpha1/namespaces/${ns}/imclusters/${name}`;
const deploymentPath = (component: string) => `/apis/apps/v1/namespaces/${ns}/deployments/${name}-${component}`;
const hpaPath = (component: string) => `/apis/autoscaling/v2/namespaces/${ns}/horizontalpodautoscalers/${name}-${component}`;
const podPath = (pod: string) => `/api/v1/namespaces/${ns}/pods/${pod}`;
const components = ["api", "gateway", "scheduler"];
const spec = (over: Record<string, unknown> = {}) => ({
  version: "0.1.0",
  mongo: { secretName: "im-mongo" },
  redis: { secretName: "im-redis" },
  gateway: { replicas: 4 },
  ...over,
});

describe("ImCluster status on a real kube-apiserver", { timeout: 600_000 }, () => {
  let world: OperatorWorld;
  let operator: OperatorProcess;
  before(async () => {
    world = await OperatorWorld.start();
    for (const secret of ["im-mongo", "im-redis"]) {
      await world.kubectl(["-n", ns, "create", "secret", "generic", secret, "--from-literal=url=unused://"]);
    }
    operator = await world.startOperator("operator-status", { OPERATOR_ONLINE_REFRESH_SECONDS: "1" });
  });
  after(() => world?.stop());

  const cluster = () => world.admin.get<Cluster>(base);
  const condition = (c: Cluster, type: string) => c.status?.conditions?.find((x) => x.type === type);
  const applyCluster = (over: Record<string, unknown> = {}) =>
    world.kubectl(
      ["apply", "--server-side", "--field-manager=test-user", "-f", "-"],
      JSON.stringify({ apiVersion: "im.platform.io/v1alpha1", kind: "ImCluster", metadata: { name, namespace: ns }, spec: spec(over) }),
    );
  /** What the Deployment controller would write: `ready` of the Deployment's replicas ready (all updated unless told). */
  const report = async (component: string, ready?: number, updated?: number) => {
    const d = await world.admin.get<Deployment>(deploymentPath(component));
    const replicas = d.spec.replicas ?? 1;
    await world.admin.mergePatch(`${deploymentPath(component)}/status`, {
      status: {
        observedGeneration: d.metadata.generation,
        replicas,
        readyReplicas: ready ?? replicas,
        updatedReplicas: updated ?? replicas,
        availableReplicas: ready ?? replicas,
      },
    });
  };
  const allReady = async () => {
    for (const component of components) await report(component);
  };
  const columns = async () => {
    const text = await world.kubectl(["get", "imc", name, "-n", ns, "--no-headers", "-o", "wide"]);
    return text.trim().split(/\s+/);
  };
  const wait = (timeout: string) =>
    world.kubectl(["wait", "--for=condition=Ready", `imc/${name}`, "-n", ns, `--timeout=${timeout}`]).then(
      () => true,
      () => false,
    );

  it("READY is False with 1 of 4 gateways ready and True once all are (printer columns READY and STATUS)", async () => {
    await applyCluster();
    await until(
      "the Deployments",
      () => Promise.all(components.map((c) => world.admin.get(deploymentPath(c)))),
      () => true,
    );
    for (const component of ["api", "scheduler"]) await report(component);
    await report("gateway", 1);
    const partial = await until("a status that saw 1/4 gateways", cluster, (c) => c.status?.components?.gateway?.readyReplicas === 1);
    assert.equal(condition(partial, "Ready")?.status, "False");
    assert.match(condition(partial, "Ready")?.message ?? "", /gateway 1\/4 ready/);
    assert.equal(condition(partial, "Reconciling")?.status, "True");
    assert.equal(partial.status?.phase, "Reconciling");
    const [, readyColumn, statusColumn] = await columns();
    assert.deepEqual([readyColumn, statusColumn], ["False", "Reconciling"]);

    await report("gateway");
    const done = await until("Ready True", cluster, (c) => condition(c, "Ready")?.status === "True");
    assert.equal(done.status?.phase, "Ready");
    assert.equal(done.status?.version, "0.1.0");
    assert.equal(condition(done, "Stalled")?.status, "False");
    assert.equal(condition(done, "Reconciling")?.status, "False");
    assert.deepEqual((await columns()).slice(1, 4), ["True", "Ready", "0.1.0"]);
  });

  it("kubectl wait --for=condition=Ready succeeds only when every component is updated and ready", async () => {
    assert.equal(await wait("10s"), true);
    await applyCluster({ version: "0.2.0" });
    await until(
      "the new template applied",
      () => world.admin.get<Deployment>(deploymentPath("api")),
      (d) => d.metadata.generation > 1,
    );
    // The Deployment controller has rolled 2 of 4 gateways and everything else.
    for (const component of ["api", "scheduler"]) await report(component);
    await report("gateway", 4, 2);
    await until(
      "Ready False",
      cluster,
      (c) => c.status?.observedGeneration === c.metadata.generation && condition(c, "Ready")?.status === "False",
    );
    assert.equal(await wait("3s"), false, "two gateways still run the old template");
    assert.equal((await cluster()).status?.version, "0.1.0", "VERSION is what runs, not what is asked");
    await report("gateway");
    assert.equal(await wait("30s"), true);
    assert.equal((await cluster()).status?.version, "0.2.0");
  });

  it("desired counts come from the HPA: its minimum, then its choice (no '2/1 updated')", async () => {
    await applyCluster({ version: "0.2.0", gateway: { autoscaling: { enabled: true, minReplicas: 3, maxReplicas: 10 } } });
    await until(
      "the gateway HPA",
      () => world.admin.get(hpaPath("gateway")),
      () => true,
    );
    const min = await until("desired 3", cluster, (c) => c.status?.components?.gateway?.desiredReplicas === 3);
    assert.ok(min);
    // What the HPA controller would write.
    await world.admin.mergePatch(`${hpaPath("gateway")}/status`, { status: { currentReplicas: 3, desiredReplicas: 5 } });
    const chosen = await until("desired 5", cluster, (c) => c.status?.components?.gateway?.desiredReplicas === 5);
    assert.equal(condition(chosen, "Ready")?.status, "False", "5 wanted, fewer run");
    assert.match(condition(chosen, "Ready")?.message ?? "", /gateway \d+\/5 ready, \d+\/5 updated/);
    await applyCluster({ version: "0.2.0" });
    await until(
      "the HPA gone",
      () =>
        world.admin.get(hpaPath("gateway")).then(
          () => false,
          () => true,
        ),
      Boolean,
    );
  });

  const writePod = async (pod: string, component: string, status: Record<string, unknown>, port = 8080) => {
    await world.admin.request("POST", `/api/v1/namespaces/${ns}/pods`, {
      body: {
        apiVersion: "v1",
        kind: "Pod",
        metadata: {
          name: pod,
          labels: { "im.platform.io/cluster": name, "app.kubernetes.io/component": component, "app.kubernetes.io/instance": name },
        },
        spec: { containers: [{ name: component, image: "ghcr.io/im-platform/im:0.2.0", ports: [{ name: "http", containerPort: port }] }] },
      },
    });
    await world.admin.mergePatch(`${podPath(pod)}/status`, { status });
  };
  const crashing = (lastState: Record<string, unknown> = {}) => ({
    phase: "Running",
    containerStatuses: [
      {
        name: "gateway",
        image: "ghcr.io/im-platform/im:0.2.0",
        imageID: "",
        ready: false,
        restartCount: 5,
        state: { waiting: { reason: "CrashLoopBackOff", message: "back-off 5m0s restarting failed container" } },
        lastState,
      },
    ],
  });
  const events = () =>
    world.admin.get<EventList>(`/api/v1/namespaces/${ns}/events`, {
      fieldSelector: `involvedObject.name=${name},involvedObject.kind=ImCluster`,
    });

  it("a CrashLoopBackOff pod shows in Stalled and components.gateway.problem, with a Warning event; cleared when it recovers", async () => {
    await allReady();
    await until("Ready True", cluster, (c) => condition(c, "Ready")?.status === "True");
    await writePod(`${name}-gateway-crash`, "gateway", crashing());
    const stalled = await until("Stalled True", cluster, (c) => condition(c, "Stalled")?.status === "True");
    assert.equal(condition(stalled, "Stalled")?.reason, "CrashLoopBackOff");
    assert.match(
      condition(stalled, "Stalled")?.message ?? "",
      new RegExp(`gateway: CrashLoopBackOff \\(pod ${name}-gateway-crash container gateway`),
    );
    assert.equal(condition(stalled, "Ready")?.status, "False");
    assert.equal(condition(stalled, "Reconciling")?.status, "False", "kstatus: Failed, not InProgress");
    assert.equal(stalled.status?.phase, "Stalled");
    assert.equal(stalled.status?.components?.gateway?.problem?.reason, "CrashLoopBackOff");
    assert.equal(stalled.status?.components?.api?.problem, undefined);
    const warned = await until("a Warning event", events, (list) =>
      list.items.some((e) => e.type === "Warning" && e.reason === "CrashLoopBackOff" && e.message.startsWith("gateway: pod")),
    );
    assert.ok(warned);

    await world.admin.delete(podPath(`${name}-gateway-crash`));
    const recovered = await until("Stalled False", cluster, (c) => condition(c, "Stalled")?.status === "False");
    assert.equal(recovered.status?.components?.gateway?.problem, undefined, "the problem is removed from status");
    assert.equal(condition(recovered, "Ready")?.status, "True");
  });

  it("a pod that exited with code 78 is ConfigRefused", async () => {
    const terminated = {
      terminated: { exitCode: 78, reason: "Error", startedAt: "2026-12-01T00:00:00Z", finishedAt: "2026-12-01T00:00:01Z" },
    };
    await writePod(`${name}-gateway-refused`, "gateway", crashing(terminated));
    const refused = await until("ConfigRefused", cluster, (c) => condition(c, "Stalled")?.reason === "ConfigRefused");
    assert.match(refused.status?.components?.gateway?.problem?.message ?? "", /exited with code 78/);
    await world.admin.delete(podPath(`${name}-gateway-refused`));
    await until("Stalled False", cluster, (c) => condition(c, "Stalled")?.status === "False");
  });

  it("events are aggregated: a flapping gateway raises counts, not new Events", async () => {
    const flap = async () => {
      await report("gateway", 1);
      await until("Ready False", cluster, (c) => condition(c, "Ready")?.status === "False");
      await report("gateway");
      await until("Ready True", cluster, (c) => condition(c, "Ready")?.status === "True");
    };
    await flap();
    const first = (await events()).items;
    await flap();
    await flap();
    const flapped = (e: EventList["items"][number]) =>
      e.reason === "ComponentsNotReady" && e.message.startsWith("Ready=False: gateway 1/4 ready");
    const later = await until("the not-ready Event counted 3 times", events, (list) =>
      list.items.some((e) => flapped(e) && (e.count ?? 1) >= 3),
    );
    assert.deepEqual(later.items.map((e) => e.metadata.name).sort(), first.map((e) => e.metadata.name).sort(), "no new Event per flap");
    assert.equal(later.items.filter(flapped).length, 1);
  });

  it("exports per-ImCluster metrics: conditions, replicas, reconcile errors", async () => {
    const labels = { namespace: ns, name };
    assert.equal(await world.metric(operator, "im_operator_imcluster_condition", { ...labels, type: "Ready", status: "True" }), 1);
    assert.equal(await world.metric(operator, "im_operator_imcluster_condition", { ...labels, type: "Ready", status: "False" }), 0);
    assert.equal(await world.metric(operator, "im_operator_imcluster_replicas", { ...labels, component: "gateway", state: "desired" }), 4);
    assert.equal(await world.metric(operator, "im_operator_imcluster_replicas", { ...labels, component: "gateway", state: "ready" }), 4);
    const text = await (await fetch(`${operator.url}/metrics`)).text();
    assert.match(text, /# TYPE im_operator_reconcile_errors_total counter/);
    // The chart's alerts and dashboard read only what the operator exports.
    const chart = `${root}charts/im-operator`;
    const used = [
      readFileSync(`${chart}/alerts/im-operator-rules.yaml`, "utf8"),
      readFileSync(`${chart}/dashboards/im-operator.json`, "utf8"),
    ]
      .join("\n")
      .match(/\bim_operator_[a-z_]+/g);
    for (const metric of new Set(used)) {
      assert.match(text, new RegExp(`# TYPE ${metric.replace(/_bucket$/, "")} `), `${metric} is exported`);
    }
  });

  it("a component whose Deployment is missing shows the spec's replicas as desired, not 1", async () => {
    // An admission policy refuses one Deployment, so it never exists (a real API server's refusal, no mock).
    await world.refuseByPolicy(
      "refuse-miss-scheduler",
      { apiGroups: ["apps"], apiVersions: ["v1"], operations: ["CREATE", "UPDATE"], resources: ["deployments"] },
      "object.metadata.name != 'miss-scheduler'",
      "refused by the test",
    );
    const probe = JSON.stringify({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "miss-scheduler", namespace: ns },
      spec: {
        selector: { matchLabels: { a: "b" } },
        template: { metadata: { labels: { a: "b" } }, spec: { containers: [{ name: "c", image: "x" }] } },
      },
    });
    await until(
      "the policy in force",
      () =>
        world.kubectl(["create", "--dry-run=server", "-f", "-"], probe).then(
          () => false,
          () => true,
        ),
      Boolean,
    );
    const missing = { apiVersion: "im.platform.io/v1alpha1", kind: "ImCluster", metadata: { name: "miss", namespace: ns } };
    await world.kubectl(
      ["apply", "--server-side", "--field-manager=test-user", "-f", "-"],
      JSON.stringify({ ...missing, spec: spec({ scheduler: { replicas: 2 } }) }),
    );
    const status = await until(
      "the miss status",
      () => world.admin.get<Cluster>(`/apis/im.platform.io/v1alpha1/namespaces/${ns}/imclusters/miss`),
      (c) => c.status?.components?.scheduler !== undefined,
    );
    assert.equal(status.status?.components?.scheduler?.desiredReplicas, 2);
    assert.equal(condition(status, "Ready")?.status, "False");
    await world.kubectl(["delete", "imc", "miss", "-n", ns, "--wait=false"]);
    await world.kubectl(["delete", "validatingadmissionpolicybinding,validatingadmissionpolicy", "refuse-miss-scheduler"]);
  });

  it("ONLINE is the sum of im_online_users read from the ready gateway pods' metrics endpoints", async () => {
    const realtime = await startRealtime(1, { API_SMS_REQUIRED: "false" });
    try {
      const gw = gateway(realtime, 0);
      const alice = await registerUser(realtime.stack, realtime.api);
      await connectClient(realtime, alice, gw);
      // A Pod object standing for the gateway process: its IP and the container port named http are where it listens.
      const running = {
        phase: "Running",
        podIP: "127.0.0.1",
        podIPs: [{ ip: "127.0.0.1" }],
        conditions: [{ type: "Ready", status: "True" }],
        containerStatuses: [
          { name: "gateway", image: "ghcr.io/im-platform/im:0.2.0", imageID: "", ready: true, restartCount: 0, state: { running: {} } },
        ],
      };
      await writePod(`${name}-gateway-online`, "gateway", running, gw.port);
      const online = await until("ONLINE 1", cluster, (c) => c.status?.onlineUsers === 1);
      assert.ok(online.status?.onlineUsersObservedAt);
      const [, , , , , onlineColumn] = await columns();
      assert.equal(onlineColumn, "1");
      const bob = await registerUser(realtime.stack, realtime.api);
      await connectClient(realtime, bob, gw);
      await until("ONLINE 2", cluster, (c) => c.status?.onlineUsers === 2);
      // The gateway goes away: after 3 intervals without an answer the count is unknown, not stale.
      await gw.process.stop();
      await until("ONLINE unknown", cluster, (c) => c.status?.onlineUsers === undefined && c.status?.onlineUsersObservedAt === undefined);
    } finally {
      await realtime.stop();
      await world.admin.delete(podPath(`${name}-gateway-online`)).catch(() => undefined);
    }
  });

  it("the scale subresource reads the gateway selector and replicas from status", async () => {
    const scale = JSON.parse(await world.kubectl(["get", "--raw", `${base}/scale`])) as { status: { replicas: number; selector: string } };
    assert.equal(scale.status.replicas, 4);
    assert.equal(
      scale.status.selector,
      `app.kubernetes.io/name=im-platform,app.kubernetes.io/instance=${name},app.kubernetes.io/component=gateway`,
    );
  });
});
