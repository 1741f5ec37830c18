import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { helm } from "@im/testing";
import { parse } from "yaml";
import { configHashAnnotation } from "../../operator/src/index.js";
import { type OperatorProcess, OperatorWorld, root, until } from "./operator-world.js";

interface Obj {
  metadata: {
    name: string;
    uid: string;
    generation?: number;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: Array<{ kind: string; name: string; uid: string; controller?: boolean }>;
    finalizers?: string[];
  };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  data?: Record<string, string>;
}
interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
}
interface Deployment extends Obj {
  spec: {
    replicas?: number;
    template: { metadata: { annotations?: Record<string, string> }; spec: { containers: Array<{ image: string }> } };
  };
}

const ns = "im";
const name = "im";
const paths = {
  cluster: `/apis/im.platform.io/v1alpha1/namespaces/${ns}/imclusters/${name}`,
  deployment: (component: string) => `/apis/apps/v1/namespaces/${ns}/deployments/${name}-${component}`,
  service: (component: string) => `/api/v1/namespaces/${ns}/services/${name}-${component}`,
  hpa: (component: string) => `/apis/autoscaling/v2/namespaces/${ns}/horizontalpodautoscalers/${name}-${component}`,
  configMap: `/api/v1/namespaces/${ns}/configmaps/${name}-config`,
  dashboards: `/api/v1/namespaces/${ns}/configmaps/${name}-dashboards`,
  serviceMonitor: (component: string) => `/apis/monitoring.coreos.com/v1/namespaces/${ns}/servicemonitors/${name}-${component}`,
  lease: "/apis/coordination.k8s.io/v1/namespaces/im-system/leases/im-operator",
};
const components = ["api", "gateway", "scheduler"];
const sample = parse(readFileSync(`${root}k8s/samples/imcluster-minimal.yaml`, "utf8")) as Obj & { spec: Record<string, unknown> };

describe("the operator on a real kube-apiserver", { timeout: 600_000 }, () => {
  let world: OperatorWorld;
  let first: OperatorProcess;
  before(async () => {
    world = await OperatorWorld.start();
    // The Secrets the sample references (as its header says to create them); a missing one is Stalled SecretMissing.
    await world.kubectl(["create", "secret", "generic", "im-mongo", "-n", ns, "--from-literal=url=mongodb://mongo:27017/im"]);
    await world.kubectl(["create", "secret", "generic", "im-redis", "-n", ns, "--from-literal=url=redis://redis:6379"]);
    first = await world.startOperator("operator-a");
  });
  after(() => world?.stop());

  const get = <T = Obj>(path: string) => world.admin.get<T>(path);
  const exists = (path: string) => world.exists(path);
  const cluster = () => get<Obj>(paths.cluster);
  const condition = (object: Obj, type: string) =>
    ((object.status?.conditions as Condition[] | undefined) ?? []).find((c) => c.type === type);
  const applyCluster = (spec: Record<string, unknown>) =>
    world.kubectl(
      ["apply", "--server-side", "--field-manager=test-user", "--namespace", ns, "-f", "-"],
      JSON.stringify({ ...sample, spec }),
    );
  const hashes = async () =>
    Object.fromEntries(
      await Promise.all(
        components.map(async (c) => [
          c,
          (await get<Deployment>(paths.deployment(c))).spec.template.metadata.annotations?.[configHashAnnotation],
        ]),
      ),
    ) as Record<string, string>;
  /** What the Deployment controller would write once pods run: every replica ready (there is no controller-manager here). */
  const markReady = async (component: string) => {
    const deployment = await get<Deployment>(paths.deployment(component));
    const replicas = deployment.spec.replicas ?? 1;
    await world.admin.mergePatch(`${paths.deployment(component)}/status`, {
      status: {
        observedGeneration: deployment.metadata.generation,
        replicas,
        readyReplicas: replicas,
        updatedReplicas: replicas,
        availableReplicas: replicas,
      },
    });
  };

  it("creates every child with an owner reference and reports status with conditions", async () => {
    const sampleFile = `${root}k8s/samples/imcluster-minimal.yaml`;
    await world.kubectl(["apply", "--server-side", "--field-manager=test-user", "--namespace", "im", "-f", sampleFile]);
    const created = await until("a status", cluster, (c) => Boolean(c.status?.conditions));
    assert.deepEqual(created.metadata.finalizers ?? [], [], "no finalizer: the garbage collector deletes the children");
    const children = [paths.configMap, ...components.flatMap((c) => [paths.deployment(c), paths.service(c)])];
    for (const path of children) {
      const child = await until(path, () => get(path), Boolean);
      const owner = child.metadata.ownerReferences?.find((ref) => ref.kind === "ImCluster");
      assert.equal(owner?.uid, created.metadata.uid, `${path} is owned by the ImCluster`);
      assert.equal(owner?.controller, true);
      assert.equal(child.metadata.labels?.["im.platform.io/cluster"], name);
    }
    assert.equal(await exists(paths.dashboards), false, "dashboards are off in the minimal sample");
    const status = created.status as {
      observedGeneration: number;
      shardLayout: { messageShards: number };
      components: Record<string, unknown>;
    };
    assert.equal(status.observedGeneration, created.metadata.generation);
    assert.equal(status.shardLayout.messageShards, (sample.spec.messageShards as number | undefined) ?? status.shardLayout.messageShards);
    assert.deepEqual(Object.keys(status.components).sort(), [...components].sort());
    assert.equal(condition(created, "Available")?.status, "False", "no pods are ready yet");
    assert.equal(condition(created, "Reconciled")?.status, "True");
  });

  it("goes Available when the Deployments report ready replicas (status set through /status)", async () => {
    for (const component of components) await markReady(component);
    const ready = await until("Available True", cluster, (c) => condition(c, "Available")?.status === "True");
    assert.equal(condition(ready, "Reconciling")?.status, "False");
    assert.equal(condition(ready, "Stalled")?.status, "False");
    const gateways = (await get<Deployment>(paths.deployment("gateway"))).spec.replicas;
    assert.equal((ready.status as { gatewaysReady: number }).gatewaysReady, gateways);
  });

  it("changes the right objects for replicas, version and config, and conditions move", async () => {
    const before = await hashes();
    const spec = structuredClone(sample.spec);
    await applyCluster({ ...spec, gateway: { replicas: 3 } });
    await until(
      "gateway replicas 3",
      () => get<Deployment>(paths.deployment("gateway")),
      (d) => d.spec.replicas === 3,
    );
    assert.deepEqual(await hashes(), before, "a replica count rolls nothing");
    const progressing = await until("Reconciling True", cluster, (c) => condition(c, "Reconciling")?.status === "True");
    assert.match(condition(progressing, "Reconciling")?.message ?? "", /gateway/);

    await applyCluster({ ...spec, gateway: { replicas: 3, allowPolling: false } });
    const polling = await until("the gateway's hash moves", hashes, (h) => h.gateway !== before.gateway);
    assert.equal(polling.api, before.api, "only the gateway reads GATEWAY_ALLOW_POLLING");
    assert.equal(polling.scheduler, before.scheduler);

    await applyCluster({ ...spec, gateway: { replicas: 3, allowPolling: false }, config: { logLevel: "debug" } });
    const logged = await until("every hash moves", hashes, (h) => components.every((c) => h[c] !== polling[c]));
    assert.ok(logged);
    const settings = await get(paths.configMap);
    assert.equal(settings.data?.LOG_LEVEL, "debug");

    await applyCluster({ ...spec, version: "0.2.0", gateway: { replicas: 3, allowPolling: false }, config: { logLevel: "debug" } });
    for (const component of components) {
      await until(
        `${component} image 0.2.0`,
        () => get<Deployment>(paths.deployment(component)),
        (d) => d.spec.template.spec.containers[0]?.image.endsWith(":0.2.0") ?? false,
      );
    }
    for (const component of components) await markReady(component);
    await until(
      "Available and done rolling",
      cluster,
      (c) => condition(c, "Available")?.status === "True" && condition(c, "Reconciling")?.status === "False",
    );
  });

  it("adds and prunes optional children: an autoscaler replaces the replica count, and goes when disabled", async () => {
    const spec = { ...structuredClone(sample.spec), version: "0.2.0", config: { logLevel: "debug" } };
    await applyCluster({
      ...spec,
      gateway: { allowPolling: false, autoscaling: { enabled: true, minReplicas: 2, maxReplicas: 6, targetCPUUtilizationPercentage: 70 } },
    });
    const hpa = await until(
      "the gateway HPA",
      () => get<Obj>(paths.hpa("gateway")),
      () => true,
    );
    assert.equal((hpa.spec as { maxReplicas: number }).maxReplicas, 6);
    await applyCluster({ ...spec, gateway: { allowPolling: false } });
    await until(
      "the HPA pruned",
      () => exists(paths.hpa("gateway")),
      (present) => !present,
    );
  });

  it("restores a deleted child and takes back a field it owns", async () => {
    const service = await get(paths.service("gateway"));
    await world.admin.delete(paths.service("gateway"));
    const restored = await until(
      "the gateway Service restored",
      () => get(paths.service("gateway")),
      (s) => s.metadata.uid !== service.metadata.uid,
    );
    assert.ok(restored);
    const settings = await get(paths.configMap);
    const shards = settings.data?.MESSAGE_SHARDS;
    await world.admin.mergePatch(paths.configMap, { data: { MESSAGE_SHARDS: "999" } });
    await until(
      "MESSAGE_SHARDS taken back",
      () => get(paths.configMap),
      (c) => c.data?.MESSAGE_SHARDS === shards,
    );
  });

  it("refuses a shard decrease with a Stalled condition and keeps the layout in force", async () => {
    const current = (await cluster()).status as { shardLayout: { messageShards: number } };
    const shards = current.shardLayout.messageShards;
    assert.ok(shards > 1, "the sample runs more than one shard");
    const spec = { ...structuredClone(sample.spec), version: "0.2.0", config: { logLevel: "debug" }, gateway: { allowPolling: false } };
    await applyCluster({ ...spec, messageShards: shards - 1 });
    const degraded = await until("Stalled True", cluster, (c) => condition(c, "Stalled")?.status === "True");
    assert.equal(condition(degraded, "Stalled")?.reason, "ShardDecreaseRefused");
    assert.equal((degraded.status as typeof current).shardLayout.messageShards, shards);
    assert.equal((await get(paths.configMap)).data?.MESSAGE_SHARDS, String(shards), "the apps keep the count in force");
    const events = await get<{ items: Array<{ type: string; reason: string; involvedObject: { name: string } }> }>(
      `/api/v1/namespaces/${ns}/events`,
    );
    assert.ok(
      events.items.some((e) => e.type === "Warning" && e.reason === "ShardDecreaseRefused" && e.involvedObject.name === name),
      "kubectl describe shows the refusal as a Warning event",
    );

    await applyCluster({ ...spec, messageShards: shards * 2 });
    const migration = await until("ShardMigrationRequired", cluster, (c) => condition(c, "Stalled")?.reason === "ShardMigrationRequired");
    assert.match(condition(migration, "Stalled")?.message ?? "", /messageShardsMigration/);
    await applyCluster({ ...spec, messageShards: shards * 2, messageShardsMigration: { from: shards, to: shards * 2 } });
    const moved = await until("layout moved", cluster, (c) => (c.status as typeof current).shardLayout.messageShards === shards * 2);
    assert.equal(condition(moved, "Stalled")?.status, "False");
    await until(
      "the apps get the new count",
      () => get(paths.configMap),
      (c) => c.data?.MESSAGE_SHARDS === String(shards * 2),
    );
  });

  it("documents every field for kubectl explain (descriptions from the zod schema)", async () => {
    const explained = await until(
      "kubectl explain",
      () => world.kubectl(["explain", "imcluster.spec.gateway.autoscaling"]),
      (text) => text.includes("targetConnectionsPerPod"),
    );
    assert.match(explained, /maxReplicas\s+<integer>/);
    const recursive = await world.kubectl(["explain", "imcluster.spec", "--recursive"]);
    for (const field of ["messageShards", "ingress", "observability", "api", "gateway", "scheduler", "mongo", "redis"]) {
      assert.match(recursive, new RegExp(`\\b${field}\\b`), `${field} is explained`);
    }
    const status = await world.kubectl(["explain", "imcluster.status.shardLayout"]);
    assert.match(status, /MESSAGE_SHARDS the apps run with/);
  });

  it("rejects an invalid spec at the API server (the CRD schema generated from zod)", async () => {
    const bad = async (spec: Record<string, unknown>, pattern: RegExp) =>
      assert.rejects(
        world.kubectl(["apply", "--server-side", "--field-manager=test-user", "-f", "-"], JSON.stringify({ ...sample, spec })),
        pattern,
      );
    await bad({ ...sample.spec, messageShards: 0 }, /messageShards/);
    await bad({ ...sample.spec, gateway: { replicas: -1 } }, /replicas/);
    await bad({ ...sample.spec, mongo: {} }, /secretName/);
    await bad({ ...sample.spec, ingress: { enabled: true, host: "not a host" } }, /host/);
  });

  it("runs ServiceMonitors when the Prometheus Operator's CRD is served, and ships the dashboards when asked", async () => {
    const spec = { ...structuredClone(sample.spec), version: "0.2.0", config: { logLevel: "debug" }, gateway: { allowPolling: false } };
    const shards = ((await cluster()).status as { shardLayout: { messageShards: number } }).shardLayout.messageShards;
    await applyCluster({
      ...spec,
      messageShards: shards,
      observability: { serviceMonitor: { enabled: true }, dashboards: { enabled: true } },
    });
    await until("the gateway ServiceMonitor", () => exists(paths.serviceMonitor("gateway")), Boolean);
    const dashboards = await until(
      "the dashboards ConfigMap",
      () => get(paths.dashboards),
      () => true,
    );
    assert.equal(dashboards.metadata.labels?.grafana_dashboard, "1");
    assert.ok(Object.keys(dashboards.data ?? {}).includes("cluster-overview.json"));
  });

  it("with two replicas only the leader acts, and the other takes over when the leader dies", async () => {
    const second = await world.startOperator("operator-b");
    const lease = await get<{ spec: { holderIdentity: string } }>(paths.lease);
    assert.equal(lease.spec.holderIdentity, "operator-a");
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    assert.equal(await world.metric(first, "im_operator_leader"), 1);
    assert.equal(await world.metric(second, "im_operator_leader"), 0);
    assert.equal(await world.metric(second, "im_operator_reconcile_total"), 0, "the candidate reconciles nothing");

    await first.process.kill();
    await until(
      "operator-b holds the lease",
      () => get<{ spec: { holderIdentity: string } }>(paths.lease),
      (l) => l.spec.holderIdentity === "operator-b",
      20_000,
    );
    const service = await get(paths.service("api"));
    await world.admin.delete(paths.service("api"));
    await until(
      "the new leader restores the api Service",
      () => get(paths.service("api")),
      (s) => s.metadata.uid !== service.metadata.uid,
    );
    assert.ok((await world.metric(second, "im_operator_reconcile_total")) > 0);
  });

  it("reconciles the ImCluster the platform chart renders (quick start: data stores and their Secrets)", async () => {
    await world.kubectl(["create", "namespace", "quick"]);
    const manifests = await helm([
      "template",
      "chat",
      `${root}charts/im-platform`,
      "--namespace",
      "quick",
      "--set",
      "quickStart.enabled=true",
    ]);
    await world.kubectl(["apply", "--server-side", "-n", "quick", "-f", "-"], manifests);
    const chartCluster = `/apis/im.platform.io/v1alpha1/namespaces/quick/imclusters/chat`;
    await until(
      "the chart's ImCluster reconciled",
      () => get(chartCluster),
      (c) => condition(c, "Reconciled")?.status === "True",
    );
    const gateway = await until(
      "its gateway Deployment",
      () => get<Deployment>("/apis/apps/v1/namespaces/quick/deployments/chat-gateway"),
      () => true,
    );
    const env = (
      gateway.spec.template.spec.containers[0] as unknown as {
        env: Array<{ name: string; valueFrom?: { secretKeyRef?: { name: string } } }>;
      }
    ).env;
    const mongo = env.find((e) => e.name === "MONGO_URL")?.valueFrom?.secretKeyRef?.name;
    assert.ok(mongo, "MONGO_URL comes from a Secret");
    await get(`/api/v1/namespaces/quick/secrets/${mongo}`);
    await world.kubectl(["delete", "imcluster", "chat", "-n", "quick", "--wait=false"]);
    await until(
      "the chart's ImCluster gone",
      () => exists(chartCluster),
      (present) => !present,
    );
  });

  it("a replica that is shut down gracefully releases the lease at once", async () => {
    const third = await world.startOperator("operator-c");
    const leader = world.operators.find((o) => o.identity === "operator-b");
    assert.ok(leader);
    await leader.process.stop();
    const lease = await get<{ spec: { holderIdentity?: string | null; leaseTransitions: number } }>(paths.lease);
    assert.ok(!lease.spec.holderIdentity || lease.spec.holderIdentity === "operator-c", `released, got ${lease.spec.holderIdentity}`);
    // Taken at the next retry (1 s), well before the 4 s lease would have expired.
    await until(
      "operator-c leads",
      () => world.metric(third, "im_operator_leader"),
      (v) => v === 1,
      3_000,
    );
  });

  it("leaves the children to the garbage collector when the ImCluster is deleted (blocking controller ownerReferences)", async () => {
    const owner = await cluster();
    const children = [
      paths.configMap,
      paths.dashboards,
      ...components.flatMap((c) => [paths.deployment(c), paths.service(c)]),
      paths.serviceMonitor("gateway"),
    ];
    for (const path of children) {
      const ref = (await get(path)).metadata.ownerReferences?.find((r) => r.kind === "ImCluster") as
        | { uid: string; controller?: boolean; blockOwnerDeletion?: boolean }
        | undefined;
      assert.deepEqual([ref?.uid, ref?.controller, ref?.blockOwnerDeletion], [owner.metadata.uid, true, true], path);
    }
    // Nothing holds the ImCluster: it is gone at once (no controller-manager runs here, so its children stay for the GC).
    await world.kubectl(["delete", "imcluster", name, "-n", ns, "--timeout=30s"]);
    assert.equal(await exists(paths.cluster), false);
  });
});
