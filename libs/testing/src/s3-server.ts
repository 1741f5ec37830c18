import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./free-port.js";
import { spawnServer } from "./managed-process.js";
import { versityGwBinary } from "./tools.js";

/** A running S3 API server (versitygw) and the root credentials to reach it. */
export interface S3Server {
  /** `http://127.0.0.1:<port>`. */
  readonly endpoint: string;
  readonly host: string;
  readonly port: number;
  readonly accessKey: string;
  readonly secretKey: string;
  /** The region the server signs for (versitygw's default). */
  readonly region: string;
  stop(): Promise<void>;
}

export interface S3ServerOptions {
  port?: number;
  /** Folder of the buckets (and, in `<dir>/.sidecar`, of object metadata), kept after stop; throw-away by default. */
  dataDir?: string;
  /** Root credentials; random by default. */
  accessKey?: string;
  secretKey?: string;
  inheritOutput?: boolean;
}

/**
 * Starts versitygw v1.7.0 (built by scripts/ensure-tools.sh) on 127.0.0.1 with its POSIX backend: buckets
 * are folders of `dataDir`, object metadata (content type, user metadata, ETags) lives in a sidecar folder
 * beside them (`--sidecar`, no extended attributes needed). It speaks the S3 API as MinIO does, so the
 * `minio` client of the upload app talks to it unchanged — the real S3 server of local runs and tests.
 */
export async function startS3Server(options: S3ServerOptions = {}): Promise<S3Server> {
  const port = options.port ?? (await freePort());
  const throwAway = options.dataDir === undefined;
  const dir = options.dataDir ?? (await mkdtemp(join(tmpdir(), "im-s3-")));
  const buckets = join(dir, "buckets");
  const sidecar = join(dir, "sidecar");
  await Promise.all([mkdir(buckets, { recursive: true }), mkdir(sidecar, { recursive: true })]);
  const accessKey = options.accessKey ?? `im${randomBytes(8).toString("hex")}`;
  const secretKey = options.secretKey ?? randomBytes(24).toString("base64url");
  const server = await spawnServer({
    name: "versitygw",
    command: versityGwBinary(),
    args: ["--port", `127.0.0.1:${port}`, "--access", accessKey, "--secret", secretKey, "posix", "--sidecar", sidecar, buckets],
    // The credentials go on the command line only; no ambient AWS or versitygw settings leak in.
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "" },
    readyPort: port,
    inheritOutput: options.inheritOutput ?? false,
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    host: "127.0.0.1",
    port,
    accessKey,
    secretKey,
    region: "us-east-1",
    async stop() {
      await server.stop();
      if (throwAway) await rm(dir, { recursive: true, force: true });
    },
  };
}
