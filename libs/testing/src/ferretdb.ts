import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./free-port.js";
import { spawnServer } from "./managed-process.js";
import { ferretDbBinary } from "./tools.js";

export interface FerretDbServer {
  /** A MongoDB connection string without a database name. */
  readonly url: string;
  readonly port: number;
  /** A connection string for one database on this server. */
  urlFor(database: string): string;
  stop(): Promise<void>;
}

export interface FerretDbOptions {
  port?: number;
  /** Data folder kept after stop; a throw-away folder by default. */
  dataDir?: string;
  inheritOutput?: boolean;
}

/** Starts FerretDB v1 (SQLite backend) on 127.0.0.1: the MongoDB-protocol server for local runs and tests. */
export async function startFerretDb(options: FerretDbOptions = {}): Promise<FerretDbServer> {
  const port = options.port ?? (await freePort());
  const throwAway = options.dataDir === undefined;
  const dir = options.dataDir ?? (await mkdtemp(join(tmpdir(), "im-ferretdb-")));
  const dataDir = join(dir, "data");
  await mkdir(dataDir, { recursive: true });
  const server = await spawnServer({
    name: "ferretdb",
    command: ferretDbBinary(),
    args: [
      "--handler=sqlite",
      `--sqlite-url=file:${dataDir}/`,
      `--state-dir=${dir}`,
      `--listen-addr=127.0.0.1:${port}`,
      "--debug-addr=-",
      "--telemetry=disable",
      "--log-level=WARN",
    ],
    readyPort: port,
    inheritOutput: options.inheritOutput ?? false,
  });
  const url = `mongodb://127.0.0.1:${port}`;
  return {
    url,
    port,
    urlFor: (database) => `${url}/${database}`,
    async stop() {
      await server.stop();
      if (throwAway) await rm(dir, { recursive: true, force: true });
    },
  };
}
