// Shared set-up of the operator tests: a real kube-apiserver + etcd, the CRD and the generated RBAC
// installed with `kubectl apply --server-side`, the ClusterRole bound to the unprivileged test user, and
// operator processes running as that user.

import {
  freePort,
  helm,
  type KubeApiServer,
  kubectl,
  type ManagedProcess,
  OPERATOR_TEST_USER,
  spawnServer,
  startKubeApiServer,
} from "@im/testing";
import { KubeConfig } from "@kubernetes/client-node";
import { isNotFound, KubeClient } from "../../operator/src/kube/client.js";
import { parsePrometheus } from "../support/prometheus.js";

export const root = new URL("../../", import.meta.url).pathname;

/** A minimal ServiceMonitor CRD (the Prometheus Operator's is large); enough for the operator to apply one. */
const serviceMonitorCrd = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: servicemonitors.monitoring.coreos.com
spec:
  group: monitoring.coreos.com
  scope: Namespaced
  names: { kind: ServiceMonitor, listKind: ServiceMonitorList, plural: servicemonitors, singular: servicemonitor }
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          x-kubernetes-preserve-unknown-fields: true
`;

export interface OperatorProcess {
  identity: string;
  url: string;
  process: ManagedProcess;
}

export class OperatorWorld {
  private constructor(
    readonly server: KubeApiServer,
    /** As admin (system:masters): the test's own reads and writes. */
    readonly admin: KubeClient,
  ) {}

  readonly operators: OperatorProcess[] = [];

  /** The operator chart as `helm template` renders it (CRD included), as users install it. */
  static renderOperatorChart(): Promise<string> {
    return helm(["template", "im-operator", `${root}charts/im-operator`, "--namespace", "im-system", "--include-crds"]);
  }

  static async start(options: { manifests?: string } = {}): Promise<OperatorWorld> {
    const server = await startKubeApiServer();
    const kc = new KubeConfig();
    kc.loadFromFile(server.kubeconfigPath);
    const world = new OperatorWorld(server, new KubeClient(kc));
    await world.kubectl(["create", "namespace", "im-system"]);
    await world.kubectl(["create", "namespace", "im"]);
    // The chart's CRD, RBAC, Service and Deployment (no pods run here: there is no controller-manager; the
    // operator under test runs as a process with the chart's ClusterRole bound to its user).
    await world.kubectl(["apply", "--server-side", "-f", "-"], options.manifests ?? (await OperatorWorld.renderOperatorChart()));
    await world.kubectl(["apply", "--server-side", "-f", "-"], serviceMonitorCrd);
    await world.kubectl([
      "wait",
      "--for=condition=Established",
      "crd/imclusters.im.platform.io",
      "crd/servicemonitors.monitoring.coreos.com",
      "--timeout=60s",
    ]);
    // The operator runs as a user holding exactly the generated ClusterRole: least privilege is what it has.
    await world.kubectl(["create", "clusterrolebinding", "im-operator-test", "--clusterrole=im-operator", `--user=${OPERATOR_TEST_USER}`]);
    return world;
  }

  kubectl(args: string[], input?: string): Promise<string> {
    return kubectl(args, { kubeconfig: this.server.kubeconfigPath, ...(input === undefined ? {} : { input }) });
  }

  async startOperator(identity: string, env: Record<string, string> = {}): Promise<OperatorProcess> {
    const port = await freePort();
    const process = await spawnServer({
      name: `operator ${identity}`,
      command: globalThis.process.execPath,
      args: ["--conditions=development", "--import", "tsx", `${root}operator/src/main.ts`],
      cwd: root,
      env: {
        PATH: globalThis.process.env.PATH ?? "",
        HOME: globalThis.process.env.HOME ?? "",
        KUBECONFIG: this.server.kubeconfigFor(OPERATOR_TEST_USER),
        OPERATOR_HOST: "127.0.0.1",
        OPERATOR_PORT: String(port),
        POD_NAME: identity,
        POD_NAMESPACE: "im-system",
        OPERATOR_LEASE_DURATION_SECONDS: "4",
        OPERATOR_RENEW_DEADLINE_SECONDS: "3",
        OPERATOR_RETRY_PERIOD_SECONDS: "1",
        LOG_LEVEL: globalThis.process.env.TEST_LOG_LEVEL ?? "warn",
        ...env,
      },
      readyPort: port,
    });
    const operator = { identity, url: `http://127.0.0.1:${port}`, process };
    this.operators.push(operator);
    return operator;
  }

  /**
   * Makes the API server refuse matching requests (a ValidatingAdmissionPolicy and its Deny binding named
   * `name`): a real refusal, as a quota, webhook or policy would give, with `message`.
   */
  async refuseByPolicy(
    name: string,
    rule: { apiGroups: string[]; apiVersions: string[]; operations: string[]; resources: string[] },
    expression: string,
    message: string,
  ): Promise<void> {
    const policy = {
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "ValidatingAdmissionPolicy",
      metadata: { name },
      spec: { failurePolicy: "Fail", matchConstraints: { resourceRules: [rule] }, validations: [{ expression, message }] },
    };
    const binding = {
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "ValidatingAdmissionPolicyBinding",
      metadata: { name },
      spec: { policyName: name, validationActions: ["Deny"] },
    };
    await this.kubectl(["apply", "--server-side", "-f", "-"], [policy, binding].map((o) => JSON.stringify(o)).join("\n"));
  }

  /** Whether the object at `path` exists (as admin); rethrows anything but 404. */
  async exists(path: string): Promise<boolean> {
    try {
      await this.admin.get(path);
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  async metric(operator: OperatorProcess, name: string, labels: Record<string, string> = {}): Promise<number> {
    const text = await (await fetch(`${operator.url}/metrics`)).text();
    return parsePrometheus(text)
      .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
      .reduce((sum, s) => sum + s.value, 0);
  }

  async stop(): Promise<void> {
    await Promise.all(this.operators.map((o) => o.process.stop().catch(() => undefined)));
    await this.server.stop();
  }
}

/** Polls `read` until `check` accepts its value (or throws with the last value after `timeoutMs`). */
export async function until<T>(what: string, read: () => Promise<T>, check: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      last = await read();
      if (check(last)) return last;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(
    `timed out waiting for ${what}; last value: ${JSON.stringify(last)?.slice(0, 2000)}${lastError ? `; last error: ${String(lastError)}` : ""}`,
  );
}
