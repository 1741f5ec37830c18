// Replica counts on a real kube-apiserver (issue 13, item 1, the scale subresource, hibernation): there is no
// controller-manager, so the test plays the HorizontalPodAutoscaler by writing the Deployment's /scale
// subresource as the HPA controller does (field manager kube-controller-manager, an Update), and watches
// spec.replicas of the Deployment, recording every value the API server ever stored.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { handoverFieldManager } from "../../operator/src/crd/constants.js";
import type { WatchEvent } from "../../operator/src/kube/client.js";
import { OperatorWorld, until } from "./operator-world.js";

interface ManagedFields {
  manager?: string;
  operation?: string;
  subresource?: string;
  fieldsV1?: { "f:spec"?: Record<string, unknown> };
}
interface Deployment {
  metadata: { name: string; resourceVersion?: string; managedFields?: ManagedFields[] };
  spec: { replicas?: number };
}

const ns = "im";
/** Seconds between one-pod steps down of a gateway (OPERATOR_SCALE_DOWN_STEP_SECONDS; 60 in production). */
const stepSeconds = 2;
/** Each test has its own ImCluster, so one failing leaves the others their own start. */
const pathsOf = (name: string) => ({
  deployments: `/apis/apps/v1/namespaces/${ns}/deployments`,
  deployment: (component: string) => `/apis/apps/v1/namespaces/${ns}/deployments/${name}-${component}`,
  hpa: (component: string) => `/apis/autoscaling/v2/namespaces/${ns}/horizontalpodautoscalers/${name}-${component}`,
  pdb: (component: string) => `/apis/policy/v1/namespaces/${ns}/poddisruptionbudgets/${name}-${component}`,
});

/** Every spec.replicas value a watch saw, with when it arrived. */
interface Seen {
  replicas: number | undefined;
  at: number;
}

describe("replica counts: autoscaling hand-over, kubectl scale, hibernation", { timeout: 600_000 }, () => {
  let world: OperatorWorld;
  before(async () => {
    world = await OperatorWorld.start();
    await world.startOperator("operator-a", { OPERATOR_SCALE_DOWN_STEP_SECONDS: String(stepSeconds) });
  });
  after(() => world?.stop());

  const get = <T = Deployment>(path: string) => world.admin.get<T>(path);
  const exists = (path: string) => world.exists(path);
  let name = "";
  let paths = pathsOf(name);
  const useCluster = (clusterName: string) => {
    name = clusterName;
    paths = pathsOf(name);
  };
  const replicas = async (component: string) => (await get(paths.deployment(component))).spec.replicas;
  const applyCluster = (spec: Record<string, unknown>, annotations: Record<string, string> = {}) =>
    world.kubectl(
      ["apply", "--server-side", "--field-manager=test-user", "--force-conflicts", "-f", "-"],
      JSON.stringify({
        apiVersion: "im.platform.io/v1alpha1",
        kind: "ImCluster",
        metadata: { name, namespace: ns, annotations },
        spec: { version: "0.1.0", mongo: { secretName: "im-mongo" }, redis: { secretName: "im-redis" }, ...spec },
      }),
    );
  /** Managers that own spec.replicas of a Deployment, from its managedFields. */
  const replicaOwners = (deployment: Deployment) =>
    (deployment.metadata.managedFields ?? []).filter((f) => f.fieldsV1?.["f:spec"]?.["f:replicas"] !== undefined).map((f) => f.manager);
  /** Plays the HPA controller: an Update of the Deployment's scale subresource. */
  const hpaScales = (component: string, count: number) =>
    world.admin.request("PATCH", `${paths.deployment(component)}/scale`, {
      query: { fieldManager: "kube-controller-manager" },
      body: { spec: { replicas: count } },
      contentType: "application/merge-patch+json",
    });

  /** Watches one Deployment from its current resourceVersion, recording spec.replicas of every event. */
  /** Every spec.replicas the watch delivers; `stop(last)` first waits until the watch has delivered `last` (a GET can see it sooner). */
  async function watchReplicas(component: string): Promise<{ seen: Seen[]; stop: (last: number) => Promise<void> }> {
    const current = await get(paths.deployment(component));
    const seen: Seen[] = [{ replicas: current.spec.replicas, at: Date.now() }];
    const controller = new AbortController();
    void world.admin
      .watch<Deployment>(
        paths.deployments,
        { fieldSelector: `metadata.name=${name}-${component}`, resourceVersion: current.metadata.resourceVersion },
        (event: WatchEvent<Deployment>) => {
          if (event.type === "ADDED" || event.type === "MODIFIED") seen.push({ replicas: event.object.spec.replicas, at: Date.now() });
        },
        controller.signal,
      )
      .catch(() => undefined);
    const stop = async (last: number) => {
      await until(
        `the watch delivering ${component} at ${last}`,
        async () => seen.at(-1)?.replicas,
        (r) => r === last,
      );
      controller.abort();
    };
    return { seen, stop };
  }

  it("keeps the running count when autoscaling is turned on, then steps down one gateway at a time when it is turned off", async () => {
    useCluster("handover");
    await applyCluster({ gateway: { replicas: 4 }, api: { replicas: 2 } });
    await until(
      "gateway at 4 and api at 2",
      async () => [await replicas("gateway"), await replicas("api")],
      (r) => r[0] === 4 && r[1] === 2,
    );
    const gateway = await watchReplicas("gateway");
    const api = await watchReplicas("api");

    // On: the count running (4; the api's 2) stays until the HPA acts, although the operator no longer sets it.
    await applyCluster({
      gateway: { replicas: 4, autoscaling: { enabled: true, minReplicas: 3, maxReplicas: 20 } },
      api: { replicas: 2, autoscaling: { enabled: true, minReplicas: 1, maxReplicas: 5 } },
    });
    await until(
      "the gateway and api HPAs",
      async () => [await exists(paths.hpa("gateway")), await exists(paths.hpa("api"))],
      (e) => e.every(Boolean),
    );
    for (const component of ["gateway", "api"]) {
      await until(
        `the operator no longer setting the ${component}'s replicas`,
        () => get(paths.deployment(component)),
        (d) => !replicaOwners(d).includes("im-operator"),
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    assert.deepEqual(
      gateway.seen.filter((s) => s.replicas !== 4),
      [],
      "the gateway's replicas never left 4 while autoscaling was turned on",
    );
    assert.deepEqual(
      api.seen.filter((s) => s.replicas !== 2),
      [],
      "the api's replicas never left 2 while autoscaling was turned on",
    );
    const handedOver = await get(paths.deployment("gateway"));
    assert.deepEqual(replicaOwners(handedOver), [handoverFieldManager], "the hand-over manager alone holds the count for the HPA");

    // The HPA scales to 12; the operator then releases its hand-over ownership and leaves the count alone.
    await hpaScales("gateway", 12);
    const owned = await until(
      "the hand-over manager releasing the gateway's replicas",
      () => get(paths.deployment("gateway")),
      (d) => !replicaOwners(d).includes(handoverFieldManager),
    );
    assert.deepEqual(replicaOwners(owned), ["kube-controller-manager"]);
    assert.equal(owned.spec.replicas, 12);

    // Off: the gateway stays at 12 in the reconcile that removes the HPA, then goes to 2 one pod per step.
    const turnedOff = Date.now();
    await applyCluster({ gateway: { replicas: 2 }, api: { replicas: 2 } });
    await until(
      "the gateway HPA gone",
      () => exists(paths.hpa("gateway")),
      (e) => !e,
    );
    await until(
      "the gateway at 2",
      () => replicas("gateway"),
      (r) => r === 2,
      120_000,
    );
    await gateway.stop(2);
    await api.stop((await replicas("api")) ?? 0);

    const before = gateway.seen.filter((s) => s.at < turnedOff).slice(-1);
    const values = [...before, ...gateway.seen.filter((s) => s.at >= turnedOff)];
    const changes = values.filter((s, i) => i === 0 || s.replicas !== values[i - 1]?.replicas);
    assert.deepEqual(
      changes.map((s) => s.replicas),
      [12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2],
      "from the HPA's 12 to spec's 2 one pod at a time, never below what ran at the hand-over",
    );
    for (let i = 2; i < changes.length; i++) {
      const gap = (changes[i]?.at ?? 0) - (changes[i - 1]?.at ?? 0);
      assert.ok(gap >= stepSeconds * 1000 - 500, `step ${i} came ${gap} ms after the previous one (pace ${stepSeconds} s)`);
    }
    const final = await get(paths.deployment("gateway"));
    assert.deepEqual(replicaOwners(final), ["im-operator"], "the operator owns the replicas again, alone");
  });

  it("kubectl scale imc sets the gateway's replicas through the scale subresource; a decrease is paced", async () => {
    useCluster("scaled");
    await applyCluster({});
    await until(
      "the gateway at its default 2",
      () => replicas("gateway"),
      (r) => r === 2,
    );
    await world.kubectl(["-n", ns, "scale", `imc/${name}`, "--replicas=5"]);
    await until(
      "the gateway at 5",
      () => replicas("gateway"),
      (r) => r === 5,
    );
    const gateway = await watchReplicas("gateway");
    const scaled = Date.now();
    await world.kubectl(["-n", ns, "scale", `imc/${name}`, "--replicas=3"]);
    await until(
      "the gateway at 3",
      () => replicas("gateway"),
      (r) => r === 3,
      60_000,
    );
    await gateway.stop(3);
    const changes = gateway.seen.filter((s, i, all) => i === 0 || s.replicas !== all[i - 1]?.replicas);
    assert.deepEqual(
      changes.map((s) => s.replicas),
      [5, 4, 3],
    );
    const last = changes[2]?.at ?? 0;
    assert.ok(last - scaled >= stepSeconds * 1000 - 500, "the second pod went one step after the first");
  });

  it("hibernation scales every component to zero and removes autoscalers and disruption budgets; waking restores them", async () => {
    useCluster("sleepy");
    const spec = {
      gateway: { replicas: 3, podDisruptionBudget: { minAvailable: 1 } },
      api: { replicas: 2, autoscaling: { enabled: true, minReplicas: 3, maxReplicas: 5 } },
    };
    await applyCluster(spec);
    await until(
      "the api HPA and the gateway PDB",
      async () => [await exists(paths.hpa("api")), await exists(paths.pdb("gateway"))],
      (e) => e.every(Boolean),
    );
    await until(
      "gateway at 3",
      () => replicas("gateway"),
      (r) => r === 3,
      60_000,
    );

    await applyCluster(spec, { "im.platform.io/hibernation": "on" });
    await until(
      "every Deployment at 0",
      async () => [await replicas("api"), await replicas("gateway"), await replicas("scheduler")],
      (r) => r.every((n) => n === 0),
    );
    assert.equal(await exists(paths.hpa("api")), false, "the api HPA is removed while hibernating");
    assert.equal(await exists(paths.pdb("gateway")), false, "the gateway PDB is removed while hibernating");

    await applyCluster(spec, { "im.platform.io/hibernation": "off" });
    await until(
      "api at the autoscaler's minimum, gateway and scheduler at spec",
      async () => [await replicas("api"), await replicas("gateway"), await replicas("scheduler")],
      (r) => r[0] === 3 && r[1] === 3 && r[2] === 1,
    );
    await until(
      "the api HPA and the gateway PDB back",
      async () => [await exists(paths.hpa("api")), await exists(paths.pdb("gateway"))],
      (e) => e.every(Boolean),
    );
  });
});
