// Helpers of the lifecycle, inputs and watch-scope tests (issue 13, section C): typed reads, ImCluster apply,
// the GC's part played by the test, and a kubeconfig of the chart's own ServiceAccount.

import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type OperatorProcess, type OperatorWorld, until } from "./operator-world.js";

export interface Obj {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid: string;
    generation?: number;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: Array<{ kind: string; name: string; uid: string; controller?: boolean }>;
    finalizers?: string[];
    deletionTimestamp?: string;
  };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  data?: Record<string, string>;
}

export interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
}

export interface EventObj {
  type: string;
  reason: string;
  message: string;
  involvedObject: { kind: string; name: string };
}

export const components = ["api", "gateway", "scheduler"] as const;

export const paths = (ns: string, name: string) => ({
  cluster: `/apis/im.platform.io/v1alpha1/namespaces/${ns}/imclusters/${name}`,
  deployment: (component: string) => `/apis/apps/v1/namespaces/${ns}/deployments/${name}-${component}`,
  service: (component: string) => `/api/v1/namespaces/${ns}/services/${name}-${component}`,
  configMap: `/api/v1/namespaces/${ns}/configmaps/${name}-config`,
  shardRecord: `/api/v1/namespaces/${ns}/configmaps/${name}-shard-layout`,
  serviceMonitor: (component: string) => `/apis/monitoring.coreos.com/v1/namespaces/${ns}/servicemonitors/${name}-${component}`,
  /** Every child the minimal spec produces. */
  children: [
    `/api/v1/namespaces/${ns}/configmaps/${name}-config`,
    ...components.flatMap((c) => [
      `/apis/apps/v1/namespaces/${ns}/deployments/${name}-${c}`,
      `/api/v1/namespaces/${ns}/services/${name}-${c}`,
    ]),
  ],
});

/** Typed reads and writes on one OperatorWorld as admin. */
export function helpers(world: () => OperatorWorld) {
  const get = <T = Obj>(path: string) => world().admin.get<T>(path);
  const exists = (path: string) => world().exists(path);
  const condition = (object: Obj, type: string) =>
    ((object.status?.conditions as Condition[] | undefined) ?? []).find((c) => c.type === type);
  /** Applies an ImCluster as the user would (kubectl apply --server-side, field manager test-user). */
  const applyCluster = (ns: string, name: string, spec: Record<string, unknown>, metadata: Record<string, unknown> = {}) =>
    world().kubectl(
      ["apply", "--server-side", "--field-manager=test-user", "-f", "-"],
      JSON.stringify({ apiVersion: "im.platform.io/v1alpha1", kind: "ImCluster", metadata: { name, namespace: ns, ...metadata }, spec }),
    );
  const createSecret = (ns: string, name: string, data: Record<string, string>) =>
    world().kubectl(["create", "secret", "generic", name, "-n", ns, ...Object.entries(data).map(([k, v]) => `--from-literal=${k}=${v}`)]);
  const events = async (ns: string, involved: string) =>
    (await get<{ items: EventObj[] }>(`/api/v1/namespaces/${ns}/events`)).items.filter((e) => e.involvedObject.name === involved);
  /**
   * Runs `action`, then waits until `operator` has finished at least one more reconcile than before it (so a check
   * after this sees what the operator did about the action, or did not do), plus a short settling pause.
   */
  const reconciledAfter = async (operator: OperatorProcess, action: () => Promise<unknown>) => {
    const start = await world().metric(operator, "im_operator_reconcile_total");
    await action();
    await until(
      "a reconcile after the action",
      () => world().metric(operator, "im_operator_reconcile_total"),
      (n) => n > start,
    );
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  };
  return { get, exists, condition, applyCluster, createSecret, events, reconciledAfter };
}

/** The minimal spec: version and the two connection Secrets. */
export const minimalSpec = (extra: Record<string, unknown> = {}) => ({
  version: "0.1.0",
  mongo: { secretName: "im-mongo" },
  redis: { secretName: "im-redis" },
  ...extra,
});

/**
 * Plays Kubernetes' garbage collector for an orphaning delete (there is no controller-manager here): removes
 * the ownerReferences to `ownerUid` from each child, then the "orphan" finalizer from the owner.
 */
export async function playOrphaningGc(world: OperatorWorld, ownerPath: string, ownerUid: string, children: string[]): Promise<void> {
  for (const path of children) {
    const child = await world.admin.get<Obj>(path);
    const refs = (child.metadata.ownerReferences ?? []).filter((ref) => ref.uid !== ownerUid);
    await world.admin.mergePatch(path, { metadata: { ownerReferences: refs.length > 0 ? refs : null } });
  }
  const owner = await world.admin.get<Obj>(ownerPath);
  await world.admin.mergePatch(ownerPath, {
    metadata: {
      finalizers: (owner.metadata.finalizers ?? []).filter((f) => f !== "orphan"),
      resourceVersion: owner.metadata.resourceVersion,
    },
  });
}

/** A kubeconfig authenticating as a ServiceAccount through a TokenRequest (`kubectl create token`). */
export async function serviceAccountKubeconfig(world: OperatorWorld, namespace: string, account: string, dir: string): Promise<string> {
  const token = (await world.kubectl(["create", "token", account, "-n", namespace, "--duration=2h"])).trim();
  const path = join(dir, `kubeconfig-${namespace}-${account}.yaml`);
  const config = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "test", cluster: { server: world.server.url, "certificate-authority": world.server.caFile } }],
    users: [{ name: account, user: { token } }],
    contexts: [{ name: "test", context: { cluster: "test", user: account } }],
    "current-context": "test",
  };
  await writeFile(path, JSON.stringify(config), { mode: 0o600 });
  return path;
}
