import { type ChildProcess, spawn } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { closeSync, existsSync, openSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort } from "./free-port.js";
import { toolsDir } from "./tools.js";

/** Paths of the Kubernetes binaries that scripts/ensure-k8s-tools.sh builds into the tools cache. */
export interface KubeTools {
  readonly kubeApiServer: string;
  readonly etcd: string;
  readonly kubectl: string;
  readonly helm: string;
}

/** The cached Kubernetes binaries; throws, naming the script that builds them, when one is missing. */
export function kubeTools(): KubeTools {
  const dir = toolsDir();
  const tools: KubeTools = {
    kubeApiServer: join(dir, "kube-apiserver"),
    etcd: join(dir, "etcd"),
    kubectl: join(dir, "kubectl"),
    helm: join(dir, "helm"),
  };
  const missing = Object.values(tools).filter((path) => !existsSync(path));
  if (missing.length > 0) {
    throw new Error(`Kubernetes test binaries missing (${missing.join(", ")}): run scripts/ensure-k8s-tools.sh`);
  }
  return tools;
}

/** A user of the token file. Kubernetes adds system:authenticated to every one. */
export interface KubeUser {
  name: string;
  groups?: string[];
}

export interface KubeApiServerOptions {
  /**
   * Users besides `admin` (group system:masters). Default: `im-operator-test` without groups, which may do
   * nothing but discovery until a test binds a role to it (RBAC subject `kind: User, name: im-operator-test`).
   */
  users?: KubeUser[];
  /** Admission plugins to turn off. Default: ServiceAccount, since no controller creates service accounts here. */
  disableAdmissionPlugins?: string[];
  /** More kube-apiserver flags, e.g. `--feature-gates=...`. */
  extraArgs?: string[];
  /** How long etcd and kube-apiserver may take to become ready. Default: 120 s. */
  readyTimeoutMs?: number;
}

export interface KubeApiServer {
  /** https://127.0.0.1:PORT */
  readonly url: string;
  readonly port: number;
  /** CA certificate (PEM) that verifies the server's self-signed serving certificate. */
  readonly caFile: string;
  /** Kubeconfig of `admin` (system:masters), for kubectl, helm and @kubernetes/client-node. */
  readonly kubeconfigPath: string;
  /** Bearer token of each user: `admin`, `im-operator-test` and those of `options.users`. */
  readonly tokens: Readonly<Record<string, string>> & { readonly admin: string };
  readonly etcdUrl: string;
  /** Kubeconfig of one of the users in `tokens`. */
  kubeconfigFor(user: string): string;
  /** Stops kube-apiserver and etcd and removes their data, certificates and kubeconfigs. */
  stop(): Promise<void>;
}

export const OPERATOR_TEST_USER = "im-operator-test";

interface Child {
  readonly name: string;
  readonly child: ChildProcess;
  readonly logFile: string;
  exited(): boolean;
  stop(): Promise<void>;
}

function startChild(name: string, command: string, args: string[], logFile: string): Child {
  const fd = openSync(logFile, "a");
  const child = spawn(command, args, { stdio: ["ignore", fd, fd] });
  closeSync(fd);
  // A test process that dies without stopping its servers must not leave them running.
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  const exit = new Promise<void>((resolve) =>
    child.once("exit", () => {
      process.off("exit", killOnExit);
      resolve();
    }),
  );
  child.once("error", () => undefined); // a missing binary shows as an exit (code -2) and in the log check
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  return {
    name,
    child,
    logFile,
    exited,
    async stop() {
      if (exited()) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exit;
      clearTimeout(timer);
    },
  };
}

function logTail(child: Child): string {
  try {
    return readFileSync(child.logFile, "utf8").slice(-6000);
  } catch {
    return "(no output)";
  }
}

async function waitUntil(what: string, children: Child[], deadline: number, check: () => Promise<boolean>): Promise<void> {
  for (;;) {
    for (const child of children) {
      if (child.exited()) {
        throw new Error(`${child.name} exited (code ${child.child.exitCode}) while waiting for ${what}:\n${logTail(child)}`);
      }
    }
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) {
      const last = children[children.length - 1];
      throw new Error(`timed out waiting for ${what}${last ? `; ${last.name} said:\n${logTail(last)}` : ""}`);
    }
    await sleep(100);
  }
}

async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

function httpsStatus(url: string, ca: Buffer, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, headers: { authorization: `Bearer ${token}` }, timeout: 5_000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end();
  });
}

/** A kubeconfig (YAML; strings written as JSON, which YAML reads as double-quoted scalars). */
function kubeconfigYaml(url: string, caFile: string, user: string, token: string): string {
  const q = JSON.stringify;
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "  - name: im-test",
    "    cluster:",
    `      server: ${q(url)}`,
    `      certificate-authority: ${q(caFile)}`,
    "users:",
    `  - name: ${q(user)}`,
    "    user:",
    `      token: ${q(token)}`,
    "contexts:",
    `  - name: ${q(`${user}@im-test`)}`,
    "    context:",
    "      cluster: im-test",
    `      user: ${q(user)}`,
    "      namespace: default",
    `current-context: ${q(`${user}@im-test`)}`,
    "",
  ].join("\n");
}

/** Splits the PEM blocks of a file. */
function pemBlocks(pem: string): string[] {
  return pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

/**
 * Starts a real etcd and kube-apiserver on free ports of 127.0.0.1 (binaries from scripts/ensure-k8s-tools.sh).
 * Authentication is by static bearer tokens, authorization by RBAC. There is no controller-manager or scheduler:
 * objects are stored and validated, but nothing reconciles them (no pods, no garbage collection, and a deleted
 * namespace stays Terminating).
 */
export async function startKubeApiServer(options: KubeApiServerOptions = {}): Promise<KubeApiServer> {
  const tools = kubeTools();
  const deadline = Date.now() + (options.readyTimeoutMs ?? 120_000);
  const dir = await mkdtemp(join(tmpdir(), "im-kube-"));
  const children: Child[] = [];
  const stopAll = async () => {
    for (const child of [...children].reverse()) await child.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const [etcdPort, peerPort, port] = (await distinctFreePorts(3)) as [number, number, number];
    const etcdUrl = `http://127.0.0.1:${etcdPort}`;
    const peerUrl = `http://127.0.0.1:${peerPort}`;
    const etcd = startChild(
      "etcd",
      tools.etcd,
      [
        "--name=im-test",
        `--data-dir=${join(dir, "etcd")}`,
        `--listen-client-urls=${etcdUrl}`,
        `--advertise-client-urls=${etcdUrl}`,
        `--listen-peer-urls=${peerUrl}`,
        `--initial-advertise-peer-urls=${peerUrl}`,
        `--initial-cluster=im-test=${peerUrl}`,
        "--initial-cluster-state=new",
        "--unsafe-no-fsync", // a throw-away store: skip fsync for speed
        "--log-level=warn",
      ],
      join(dir, "etcd.log"),
    );
    children.push(etcd);
    await waitUntil("etcd /health", children, deadline, async () => {
      const response = await fetch(`${etcdUrl}/health`);
      return response.ok && ((await response.json()) as { health?: string }).health === "true";
    });

    const users: KubeUser[] = [{ name: "admin", groups: ["system:masters"] }, ...(options.users ?? [{ name: OPERATOR_TEST_USER }])];
    const tokens: Record<string, string> = {};
    const tokenLines = users.map((user) => {
      const token = randomBytes(24).toString("hex");
      tokens[user.name] = token;
      const groups = user.groups?.length ? `,"${user.groups.join(",")}"` : "";
      return `${token},${user.name},${user.name}${groups}`;
    });
    await writeFile(join(dir, "tokens.csv"), `${tokenLines.join("\n")}\n`, { mode: 0o600 });
    const { privateKey, publicKey } = generateKeyPairSync("rsa", {
      modulusLength: 2048,
      publicKeyEncoding: { type: "spki", format: "pem" },
      privateKeyEncoding: { type: "pkcs8", format: "pem" },
    });
    await writeFile(join(dir, "sa.key"), privateKey, { mode: 0o600 });
    await writeFile(join(dir, "sa.pub"), publicKey);
    const certDir = join(dir, "certs");
    await mkdir(certDir);

    const url = `https://127.0.0.1:${port}`;
    const apiserver = startChild(
      "kube-apiserver",
      tools.kubeApiServer,
      [
        `--etcd-servers=${etcdUrl}`,
        "--bind-address=127.0.0.1",
        "--advertise-address=127.0.0.1",
        `--secure-port=${port}`,
        // Without --tls-cert-file it writes a self-signed CA and a serving certificate for 127.0.0.1 here.
        `--cert-dir=${certDir}`,
        `--token-auth-file=${join(dir, "tokens.csv")}`,
        "--authorization-mode=RBAC",
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
        `--service-account-key-file=${join(dir, "sa.pub")}`,
        `--service-account-signing-key-file=${join(dir, "sa.key")}`,
        "--service-cluster-ip-range=10.0.0.0/24",
        `--disable-admission-plugins=${(options.disableAdmissionPlugins ?? ["ServiceAccount"]).join(",")}`,
        // It would publish 127.0.0.1 as the endpoint of the `kubernetes` service, which validation rejects.
        "--endpoint-reconciler-type=none",
        "--allow-privileged=true",
        "--profiling=false",
        ...(options.extraArgs ?? []),
      ],
      join(dir, "kube-apiserver.log"),
    );
    children.push(apiserver);

    // The serving certificate file holds the certificate and then the CA that signed it.
    const servingCert = join(certDir, "apiserver.crt");
    const caFile = join(dir, "ca.crt");
    await waitUntil("kube-apiserver's self-signed certificate", children, deadline, async () => {
      const blocks = pemBlocks(await readFile(servingCert, "utf8"));
      if (blocks.length < 2) return false; // not written yet, or half written
      await writeFile(caFile, `${blocks[blocks.length - 1]}\n`);
      return true;
    });
    const ca = await readFile(caFile);
    const admin = tokens.admin as string;
    await waitUntil("kube-apiserver /readyz", children, deadline, async () => (await httpsStatus(`${url}/readyz`, ca, admin)) === 200);
    await waitUntil(
      "the default namespace",
      children,
      deadline,
      async () => (await httpsStatus(`${url}/api/v1/namespaces/default`, ca, admin)) === 200,
    );

    const kubeconfigs = new Map<string, string>();
    for (const user of users) {
      const path = join(dir, `kubeconfig-${user.name.replace(/[^A-Za-z0-9_.-]/g, "_")}.yaml`);
      await writeFile(path, kubeconfigYaml(url, caFile, user.name, tokens[user.name] as string), { mode: 0o600 });
      kubeconfigs.set(user.name, path);
    }
    let stopped: Promise<void> | undefined;
    return {
      url,
      port,
      caFile,
      kubeconfigPath: kubeconfigs.get("admin") as string,
      tokens: tokens as KubeApiServer["tokens"],
      etcdUrl,
      kubeconfigFor(user) {
        const path = kubeconfigs.get(user);
        if (path === undefined) throw new Error(`no such user: ${user} (known: ${[...kubeconfigs.keys()].join(", ")})`);
        return path;
      },
      stop() {
        stopped ??= stopAll();
        return stopped;
      },
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

export interface KubeCommandOptions {
  /** Kubeconfig to use (as $KUBECONFIG). */
  kubeconfig?: string;
  /** Written to the command's standard input, e.g. a manifest for `apply -f -`. */
  input?: string;
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** Default: 60 s. */
  timeoutMs?: number;
}

function run(name: string, command: string, args: string[], options: KubeCommandOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    // Without a kubeconfig, point at none rather than at ~/.kube/config, so a test never reaches a real cluster.
    const kubeconfig = options.kubeconfig ?? join(tmpdir(), "im-no-kubeconfig");
    const child = spawn(command, args, {
      env: { ...process.env, ...options.env, KUBECONFIG: kubeconfig },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(new Error(`${name}: could not start ${command}: ${error.message}`));
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      else reject(new Error(`${name} ${args.join(" ")} failed (${signal ?? `exit ${code}`}):\n${stderr.trim() || stdout.trim()}`));
    });
    child.stdin.on("error", () => undefined); // the command may exit without reading its input
    child.stdin.end(options.input ?? "");
  });
}

/** Runs the cached kubectl with a kubeconfig and returns its standard output; throws with its standard error on failure. */
export function kubectl(args: string[], options: KubeCommandOptions & { kubeconfig: string }): Promise<string> {
  return run("kubectl", kubeTools().kubectl, args, options);
}

/** Runs the cached helm (default Kubernetes version 1.34 for `helm template`) and returns its standard output. */
export function helm(args: string[], options: KubeCommandOptions = {}): Promise<string> {
  return run("helm", kubeTools().helm, args, options);
}
