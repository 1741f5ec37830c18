// Starts what the benchmarks measure: the platform's single-node stack (Redis, FerretDB, the API in this
// process, gateway OS processes with optional extra node flags) and the bare Socket.IO relay processes.
import { randomUUID } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createSession } from "@im/auth";
import { freePort, type ManagedProcess, spawnServer } from "@im/testing";
import { startStack, type TestStack } from "../../../tests/support/stack.js";
import { type LoadUser, mapLimit, registerUsers } from "../../runner/setup.js";

const root = new URL("../../..", import.meta.url).pathname;

/** Resident set size of a process in bytes (VmRSS of /proc/<pid>/status). */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const match = /VmRSS:\s+(\d+) kB/.exec(status);
  if (!match) throw new Error(`no VmRSS for ${pid}`);
  return Number(match[1]) * 1024;
}

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

export interface ServerProcess {
  url: string;
  port: number;
  pid: number;
  process: ManagedProcess;
}

export interface Platform {
  stack: TestStack;
  api: string;
  gateways: ServerProcess[];
  /** Starts (or restarts, on the same port) gateway `index`. */
  startGateway(index: number, port?: number): Promise<ServerProcess>;
  stop(): Promise<void>;
}

export interface PlatformOptions {
  gateways: number;
  /** Extra node flags for the gateway processes (e.g. --cpu-prof). */
  nodeArgs?: string[];
  env?: Record<string, string>;
}

/** Redis + FerretDB + the API here (API_SMS_REQUIRED=false), and `gateways` gateway processes. */
export async function startPlatform(options: PlatformOptions): Promise<Platform> {
  const stack = await startStack({ MESSAGE_SHARDS: "4", API_SMS_REQUIRED: "false", ...options.env });
  const gateways: ServerProcess[] = [];
  const startGateway = async (index: number, fixedPort?: number) => {
    const port = fixedPort ?? (await freePort());
    const process_ = await spawnServer({
      name: `gateway-${index + 1}`,
      command: process.execPath,
      args: [...(options.nodeArgs ?? []), "--conditions=development", "--import", "tsx", join(root, "apps/gateway/src/main.ts")],
      cwd: root,
      readyPort: port,
      readyTimeoutMs: 60_000,
      env: {
        PATH: process.env.PATH ?? "",
        HOME: process.env.HOME ?? "",
        GATEWAY_HOST: "127.0.0.1",
        GATEWAY_PORT: String(port),
        GATEWAY_ID: `bench-gw${index + 1}`,
        MONGO_URL: stack.config.MONGO_URL,
        REDIS_URL: stack.config.REDIS_URL,
        LOG_LEVEL: "warn",
        MESSAGE_SHARDS: String(stack.config.MESSAGE_SHARDS),
        ...options.env,
      },
    });
    const gateway = { url: `http://127.0.0.1:${port}`, port, pid: process_.pid, process: process_ };
    gateways[index] = gateway;
    return gateway;
  };
  try {
    for (let i = 0; i < options.gateways; i++) await startGateway(i);
  } catch (error) {
    await Promise.all(gateways.map((g) => g.process.stop()));
    await stack.stop();
    throw error;
  }
  return {
    stack,
    api: stack.api.url,
    gateways,
    startGateway,
    async stop() {
      await Promise.all(gateways.map((g) => g.process.stop()));
      await stack.stop();
    },
  };
}

export interface RelayOptions {
  processes: number;
  /** The sharded Redis adapter across the processes (needed for more than one). */
  redisUrl?: string;
  nodeArgs?: string[];
}

/** Starts relay process `index` on `port` (a free one by default). */
export async function startRelayProcess(index: number, options: RelayOptions, port?: number): Promise<ServerProcess> {
  const listen = port ?? (await freePort());
  const process_ = await spawnServer({
    name: `relay-${index + 1}`,
    command: process.execPath,
    args: [
      ...(options.nodeArgs ?? []),
      "--import",
      "tsx",
      join(root, "load/relay/server.ts"),
      "--port",
      String(listen),
      ...(options.redisUrl ? ["--redis", options.redisUrl] : []),
    ],
    cwd: root,
    readyPort: listen,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "" },
  });
  return { url: `http://127.0.0.1:${listen}`, port: listen, pid: process_.pid, process: process_ };
}

export async function startRelay(options: RelayOptions): Promise<ServerProcess[]> {
  const relays: ServerProcess[] = [];
  for (let i = 0; i < options.processes; i++) relays.push(await startRelayProcess(i, options));
  return relays;
}

export interface BenchUser extends LoadUser {
  /** Device tokens of this user: the registration session first, then minted ones. */
  tokens: string[];
}

/**
 * Registers `users` users through the API (as the load runner does), then gives each `devicesPerUser - 1`
 * more device sessions with @im/auth's createSession — the function the API's login calls — straight
 * on Redis, which skips the password check's scrypt but makes the same session the gateway resolves.
 */
export async function registerBenchUsers(platform: Platform, users: number, devicesPerUser = 1): Promise<BenchUser[]> {
  const registered = await registerUsers(platform.api, users);
  const redis = platform.stack.api.deps.redis;
  return mapLimit(registered, 16, async (user) => {
    const tokens = [user.token];
    for (let d = 1; d < devicesPerUser; d++) {
      const session = await createSession(redis, {
        userId: user.userId,
        resource: "web",
        deviceId: randomUUID(),
        ip: "127.0.0.1",
        ttlSeconds: 3600,
        maxSessions: Math.max(10, devicesPerUser),
        singleDevice: false,
      });
      tokens.push(session.accessToken);
    }
    return { ...user, tokens };
  });
}

/** Pids of this process's children whose command name is `comm` (FerretDB and Redis run as children). */
export function childPids(comm: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const name = /\((.*)\)/.exec(stat)?.[1];
      const ppid = Number(stat.split(") ")[1]?.split(" ")[1]);
      if (name === comm && ppid === process.pid) pids.push(Number(entry));
    } catch {
      // the process ended meanwhile
    }
  }
  return pids;
}

/** CPU seconds used so far by all of `pids` (processes that ended count as 0). */
export function cpuOf(pids: number[]): number {
  let total = 0;
  for (const pid of pids) {
    try {
      total += cpuSeconds(pid);
    } catch {
      // gone
    }
  }
  return total;
}
