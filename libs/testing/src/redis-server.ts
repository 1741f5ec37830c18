import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./free-port.js";
import { spawnServer } from "./managed-process.js";
import { redisServerBinary } from "./tools.js";

export interface RedisServer {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

export interface RedisServerOptions {
  /** Fixed port; a free one by default. */
  port?: number;
  /** Data folder kept after stop (append-only file on); a throw-away folder without persistence by default. */
  dataDir?: string;
  inheritOutput?: boolean;
}

/** Starts a real redis-server on 127.0.0.1. */
export async function startRedis(options: RedisServerOptions = {}): Promise<RedisServer> {
  const port = options.port ?? (await freePort());
  const throwAway = options.dataDir === undefined;
  const dir = options.dataDir ?? (await mkdtemp(join(tmpdir(), "im-redis-")));
  const persistence = throwAway ? ["--save", "", "--appendonly", "no"] : ["--appendonly", "yes"];
  const server = await spawnServer({
    name: "redis-server",
    command: redisServerBinary(),
    args: ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--daemonize", "no", ...persistence],
    readyPort: port,
    inheritOutput: options.inheritOutput ?? false,
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async stop() {
      await server.stop();
      if (throwAway) await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A redis-server whose writes after a chosen point can be lost on purpose (see `startRewindableRedis`). */
export interface RewindableRedis extends RedisServer {
  /** The data folder (append-only file on). */
  readonly dataDir: string;
  /**
   * Copies the data folder now: the point `rewind` goes back to. Every write acknowledged before this call
   * is in the copy (Redis writes its append-only file before it replies).
   */
  snapshot(): Promise<void>;
  /**
   * Stops the server, replaces its data with the last snapshot and starts it again on the same port: every
   * write acknowledged after the snapshot is lost, as after a machine crash that lost the end of the
   * append-only file or a restore from an older backup. Clients reconnect to the same address.
   */
  rewind(): Promise<void>;
}

/** Starts a real redis-server with persistence on, able to lose a suffix of its writes on purpose. */
export async function startRewindableRedis(options: Omit<RedisServerOptions, "dataDir"> = {}): Promise<RewindableRedis> {
  const dataDir = await mkdtemp(join(tmpdir(), "im-redis-rewind-"));
  const snapshotDir = `${dataDir}.snapshot`;
  const port = options.port ?? (await freePort());
  let server = await startRedis({ ...options, port, dataDir });
  return {
    url: server.url,
    port,
    dataDir,
    async snapshot() {
      await rm(snapshotDir, { recursive: true, force: true });
      await cp(dataDir, snapshotDir, { recursive: true });
    },
    async rewind() {
      await server.stop();
      await rm(dataDir, { recursive: true, force: true });
      await cp(snapshotDir, dataDir, { recursive: true });
      server = await startRedis({ ...options, port, dataDir });
    },
    async stop() {
      await server.stop();
      await rm(dataDir, { recursive: true, force: true });
      await rm(snapshotDir, { recursive: true, force: true });
    },
  };
}
