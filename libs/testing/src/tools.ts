import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

/** Where scripts/ensure-tools.sh caches the binaries it builds. */
export function toolsDir(): string {
  return process.env.IM_TOOLS_DIR ?? join(homedir(), ".cache", "im-platform", "bin");
}

/** Path of the FerretDB binary: $IM_FERRETDB_BIN, else the tools cache, else `ferretdb` on PATH. */
export function ferretDbBinary(): string {
  if (process.env.IM_FERRETDB_BIN) return process.env.IM_FERRETDB_BIN;
  const cached = join(toolsDir(), "ferretdb");
  return existsSync(cached) ? cached : "ferretdb";
}

/** Path of redis-server: $IM_REDIS_BIN, else `redis-server` on PATH. */
export function redisServerBinary(): string {
  return process.env.IM_REDIS_BIN ?? "redis-server";
}

/** Path of the versitygw S3 server: $IM_VERSITYGW_BIN, else the tools cache, else `versitygw` on PATH. */
export function versityGwBinary(): string {
  if (process.env.IM_VERSITYGW_BIN) return process.env.IM_VERSITYGW_BIN;
  const cached = join(toolsDir(), "versitygw");
  return existsSync(cached) ? cached : "versitygw";
}
