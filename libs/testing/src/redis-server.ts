import { mkdtemp, rm } from "node:fs/promises";
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
