/**
 * Starts the platform on one machine with embedded defaults (`npm start`):
 *   - Redis on 127.0.0.1:6379 and FerretDB (MongoDB protocol, SQLite) on 127.0.0.1:27017, data under .local/,
 *     unless REDIS_URL / MONGO_URL point at existing servers;
 *   - versitygw (S3 API, POSIX backend) on 127.0.0.1:7070 with the credentials im-local / im-local-secret (the
 *     defaults of libs/config mediaSettings), data under .local/s3/, unless S3_ENDPOINT points at another server;
 *   - the API on :8092, the Socket.IO gateway on :5280, the scheduler (periodic jobs; /metrics on :9470), the
 *     upload app on :8094 (it creates the bucket S3_BUCKET, default im-media, at start) and the push worker
 *     (/metrics on :9472), with PUSH_ENABLED=true for every app unless set: messages to offline users are queued
 *     and planned; they reach phones once provider credentials (PUSH_APNS_*, PUSH_FCM_*, ...) are set, and are
 *     otherwise counted as skipped (provider_disabled).
 * Ctrl-C stops everything it started.
 */
import { spawn } from "node:child_process";
import { mkdir } from "node:fs/promises";
import { connect } from "node:net";
import { join } from "node:path";
import { startFerretDb, startRedis, startS3Server } from "@im/testing";

const root = new URL("..", import.meta.url).pathname;
const dataRoot = process.env.IM_DATA_DIR ?? join(root, ".local");
const redisPort = Number(process.env.IM_LOCAL_REDIS_PORT ?? 6379);
const mongoPort = Number(process.env.IM_LOCAL_MONGO_PORT ?? 27017);
const s3Port = Number(process.env.IM_LOCAL_S3_PORT ?? 7070);

const inUse = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect({ port, host: "127.0.0.1" });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });

async function refuseBusy(port: number, what: string, variable: string, portVariable: string) {
  if (await inUse(port)) {
    console.error(
      `[start] port ${port} is taken, so the embedded ${what} cannot start. Set ${variable} to use that server, or ${portVariable} for another port.`,
    );
    process.exit(1);
  }
}

const stops: Array<() => Promise<void>> = [];
const env: NodeJS.ProcessEnv = { ...process.env };

if (!process.env.REDIS_URL) {
  await refuseBusy(redisPort, "Redis", "REDIS_URL", "IM_LOCAL_REDIS_PORT");
  const dir = join(dataRoot, "redis");
  await mkdir(dir, { recursive: true });
  const redis = await startRedis({ port: redisPort, dataDir: dir });
  stops.push(() => redis.stop());
  env.REDIS_URL = redis.url;
  console.log(`[start] Redis      ${redis.url}  (data: ${dir})`);
}
if (!process.env.MONGO_URL) {
  await refuseBusy(mongoPort, "FerretDB", "MONGO_URL", "IM_LOCAL_MONGO_PORT");
  const dir = join(dataRoot, "ferretdb");
  await mkdir(dir, { recursive: true });
  const mongo = await startFerretDb({ port: mongoPort, dataDir: dir });
  stops.push(() => mongo.stop());
  env.MONGO_URL = mongo.urlFor("im");
  console.log(`[start] FerretDB   ${env.MONGO_URL}  (data: ${dir})`);
}

if (!process.env.S3_ENDPOINT) {
  await refuseBusy(s3Port, "S3 server (versitygw)", "S3_ENDPOINT", "IM_LOCAL_S3_PORT");
  const dir = join(dataRoot, "s3");
  await mkdir(dir, { recursive: true });
  // The apps' default credentials (mediaSettings), so a plain `npm start` needs no S3 settings at all.
  const s3 = await startS3Server({
    port: s3Port,
    dataDir: dir,
    accessKey: process.env.S3_ACCESS_KEY_ID ?? "im-local",
    secretKey: process.env.S3_SECRET_ACCESS_KEY ?? "im-local-secret",
  });
  stops.push(() => s3.stop());
  Object.assign(env, {
    S3_ENDPOINT: s3.endpoint,
    S3_ACCESS_KEY_ID: s3.accessKey,
    S3_SECRET_ACCESS_KEY: s3.secretKey,
    S3_REGION: s3.region,
  });
  console.log(`[start] S3         ${s3.endpoint}  (versitygw; buckets: ${join(dir, "buckets")}, metadata: ${join(dir, "sidecar")})`);
}
const uploadPort = env.UPLOAD_PORT ?? "8094";
env.MEDIA_PUBLIC_URL ??= `http://127.0.0.1:${uploadPort}`;
env.PUSH_ENABLED ??= "true";

const apps = [
  { name: "api", entry: "apps/api/src/main.ts" },
  { name: "gateway", entry: "apps/gateway/src/main.ts" },
  { name: "scheduler", entry: "apps/scheduler/src/main.ts" },
  { name: "upload", entry: "apps/upload/src/main.ts" },
  { name: "push", entry: "apps/push/src/main.ts" },
];
const children = apps.map(({ name, entry }) => {
  const child = spawn(process.execPath, ["--conditions=development", "--import", "tsx", entry], { cwd: root, env, stdio: "inherit" });
  child.on("exit", (code, signal) => {
    console.log(`[start] ${name} exited (${signal ?? code})`);
    void shutdown(code ?? 1);
  });
  return child;
});
console.log(`[start] API        http://127.0.0.1:${env.API_PORT ?? 8092}  (OpenAPI at /openapi.json)`);
console.log(`[start] Gateway    ws://127.0.0.1:${env.GATEWAY_PORT ?? 5280}  (Socket.IO; /metrics, /healthz)`);
console.log(`[start] Scheduler  http://127.0.0.1:${env.SCHEDULER_PORT ?? 9470}  (Agenda jobs; /metrics, /healthz)`);
console.log(
  `[start] Upload     ${env.MEDIA_PUBLIC_URL}  (uploads, media, avatars; bucket ${env.S3_BUCKET ?? "im-media"}; /metrics, /healthz)`,
);
console.log(
  `[start] Push       http://127.0.0.1:${env.PUSH_PORT ?? 9472}  (offline push worker, PUSH_ENABLED=${env.PUSH_ENABLED}; /metrics, /healthz)`,
);

let stopping = false;
async function shutdown(code: number) {
  if (stopping) return;
  stopping = true;
  for (const child of children) if (child.exitCode === null) child.kill("SIGTERM");
  await Promise.all(children.map((child) => (child.exitCode === null ? new Promise((r) => child.once("exit", r)) : undefined)));
  for (const stop of stops.reverse()) await stop();
  process.exit(code);
}
process.on("SIGINT", () => void shutdown(0));
process.on("SIGTERM", () => void shutdown(0));
