import { join } from "node:path";
import { ImClient, type ImClientOptions, ImError } from "@im/client";
import { type DeliveredMessage, messageType } from "@im/protocol";
import { freePort, type ManagedProcess, spawnServer } from "@im/testing";
import { ApiClient } from "./client.js";
import { startStack, type TestStack } from "./stack.js";
import { registerUser, type TestUser } from "./users.js";

const root = new URL("../..", import.meta.url).pathname;

export interface GatewayProcess {
  url: string;
  port: number;
  process: ManagedProcess;
}

/** Starts a gateway as its own OS process (so a test can kill it), on the stack's Redis and MongoDB. */
export async function startGatewayProcess(stack: TestStack, id: string, env: Record<string, string> = {}): Promise<GatewayProcess> {
  return startGatewayAt(stack, id, await freePort(), env);
}

/**
 * Starts a gateway process on `port` (a restarted gateway comes back on the same port, as a pod behind its
 * service would). `env` overrides the stack's settings, e.g. MONGO_URL or REDIS_URL through a TcpProxy.
 * CHAOS_GATEWAY_OUTPUT=1 shows the gateways' logs (with TEST_LOG_LEVEL) while investigating a failure.
 */
export async function startGatewayAt(
  stack: TestStack,
  id: string,
  port: number,
  env: Record<string, string> = {},
): Promise<GatewayProcess> {
  const process_ = await spawnServer({
    name: `gateway-${id}`,
    command: process.execPath,
    args: ["--conditions=development", "--import", "tsx", join(root, "apps/gateway/src/main.ts")],
    cwd: root,
    readyPort: port,
    readyTimeoutMs: 60_000,
    inheritOutput: process.env.CHAOS_GATEWAY_OUTPUT === "1",
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      GATEWAY_HOST: "127.0.0.1",
      GATEWAY_PORT: String(port),
      GATEWAY_ID: id,
      MONGO_URL: stack.config.MONGO_URL,
      REDIS_URL: stack.config.REDIS_URL,
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "warn",
      // The API and every gateway must agree on the shard count.
      MESSAGE_SHARDS: String(stack.config.MESSAGE_SHARDS),
      ...env,
    },
  });
  return { url: `http://127.0.0.1:${port}`, port, process: process_ };
}

export interface RealtimeWorld {
  stack: TestStack;
  api: ApiClient;
  gateways: GatewayProcess[];
  clients: ImClient[];
  stop(): Promise<void>;
}

/** The API in-process plus `gatewayCount` gateway processes, all on one Redis and one FerretDB. */
export async function startRealtime(gatewayCount = 2, env: Record<string, string> = {}): Promise<RealtimeWorld> {
  const stack = await startStack({ MESSAGE_SHARDS: "4", ...env });
  const gateways: GatewayProcess[] = [];
  try {
    for (let i = 0; i < gatewayCount; i++) gateways.push(await startGatewayProcess(stack, `gw${i + 1}`, env));
  } catch (error) {
    await Promise.all(gateways.map((g) => g.process.stop()));
    await stack.stop();
    throw error;
  }
  const clients: ImClient[] = [];
  return {
    stack,
    api: new ApiClient(stack.api.url),
    gateways,
    clients,
    async stop() {
      for (const client of clients) client.close();
      await Promise.all(gateways.map((g) => g.process.stop()));
      await stack.stop();
    },
  };
}

/** A connected SDK client for a user on one gateway, closed by `world.stop()`. */
export async function connectClient(
  world: RealtimeWorld,
  user: TestUser,
  gateway: GatewayProcess,
  options: Partial<ImClientOptions> = {},
): Promise<ImClient> {
  const client = new ImClient({ url: gateway.url, token: user.token, resource: "android", ...options });
  world.clients.push(client);
  await client.connect();
  return client;
}

/** The i-th gateway of a world (fails loudly if there is none). */
export function gateway(world: RealtimeWorld, index: number): GatewayProcess {
  const found = world.gateways[index];
  if (!found) throw new Error(`no gateway ${index}`);
  return found;
}

/** Collects what a client receives. */
export function collect(client: ImClient) {
  const messages: Array<Parameters<Parameters<ImClient["on"]>[1]>[0]> = [];
  client.on("message", (message) => messages.push(message));
  return messages as import("@im/protocol").DeliveredMessage[];
}

/** Waits until `check` passes, polling; fails with `what` after `timeoutMs`. */
export async function eventually(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The key of the error a send was refused with, or "sent". */
export async function sendOutcome(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ImError) return error.body.error.key;
    throw error;
  }
  return "sent";
}

/** The contents of the text messages in an inbox, in arrival order. */
export const texts = (inbox: DeliveredMessage[]) => inbox.filter((m) => m.type === messageType.text).map((m) => m.content);

export { registerUser };
