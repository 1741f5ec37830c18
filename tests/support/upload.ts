import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger } from "@im/telemetry";
import { freePort, type S3Server, startS3Server } from "@im/testing";
import { loadUploadConfig, type RunningUpload, startUpload, type UploadConfig } from "@im/upload";
import { ApiClient, type Reply } from "./client.js";
import { startStack, type TestStack } from "./stack.js";

/** Real S3 (versitygw), Redis, FerretDB, the API and the upload app (in this process), sharing the stores. */
export interface UploadStack {
  stack: TestStack;
  s3: S3Server;
  upload: RunningUpload;
  config: UploadConfig;
  /** Client of the API (register users, rooms). */
  api: ApiClient;
  /** Client of the upload app (JSON routes). */
  files: ApiClient;
  stop(): Promise<void>;
}

const MiB = 1024 * 1024;

/**
 * Starts the whole media stack on free ports. The upload app gets small limits (image 2 MiB, voice 1 MiB,
 * video 5 MiB, file 12 MiB, avatar 2 MiB, 5 MiB parts) unless `env` says otherwise; its public URL is its own
 * address; the S3 public endpoint is `localhost` (the internal one 127.0.0.1) so signed URLs show which host they are for.
 */
export async function startUploadStack(env: Record<string, string> = {}, apiEnv: Record<string, string> = {}): Promise<UploadStack> {
  const [s3, stack, port] = await Promise.all([startS3Server(), startStack(apiEnv), freePort()]);
  const tmp = await mkdtemp(join(tmpdir(), "im-upload-test-"));
  let upload: RunningUpload;
  let config: UploadConfig;
  try {
    config = loadUploadConfig({
      UPLOAD_HOST: "127.0.0.1",
      UPLOAD_PORT: String(port),
      MEDIA_PUBLIC_URL: `http://127.0.0.1:${port}`,
      MONGO_URL: stack.config.MONGO_URL,
      REDIS_URL: stack.config.REDIS_URL,
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
      S3_ENDPOINT: s3.endpoint,
      S3_PUBLIC_ENDPOINT: `http://localhost:${s3.port}`,
      S3_REGION: s3.region,
      S3_BUCKET: "im-media",
      S3_ACCESS_KEY_ID: s3.accessKey,
      S3_SECRET_ACCESS_KEY: s3.secretKey,
      UPLOAD_VALIDATE_RESPONSES: "true",
      UPLOAD_MAX_IMAGE_BYTES: String(2 * MiB),
      UPLOAD_MAX_VOICE_BYTES: String(1 * MiB),
      UPLOAD_MAX_VIDEO_BYTES: String(5 * MiB),
      UPLOAD_MAX_FILE_BYTES: String(12 * MiB),
      UPLOAD_MAX_AVATAR_BYTES: String(2 * MiB),
      UPLOAD_PART_SIZE_BYTES: String(5 * MiB),
      UPLOAD_TMP_DIR: tmp,
      ...env,
    });
    upload = await startUpload(config, { logger: createLogger({ name: "upload-test", level: config.LOG_LEVEL }) });
  } catch (error) {
    await Promise.all([stack.stop(), s3.stop(), rm(tmp, { recursive: true, force: true })]);
    throw error;
  }
  return {
    stack,
    s3,
    upload,
    config,
    api: new ApiClient(stack.api.url),
    files: new ApiClient(upload.url),
    async stop() {
      await upload.close();
      await Promise.all([stack.stop(), s3.stop(), rm(tmp, { recursive: true, force: true })]);
    },
  };
}

/** Fields of a test upload form. */
export interface UploadFormOptions {
  /** The `name` field (sent before the file). */
  name?: string;
  /** The `size` field: declared bytes (sent before the file). */
  size?: number | string;
  /** The file part's filename. */
  filename?: string;
  contentType?: string;
}

/** POSTs a multipart/form-data upload (fields, then the file part `file`) and parses the JSON answer. */
export async function postForm<T = Record<string, unknown>>(
  baseUrl: string,
  path: string,
  token: string | undefined,
  bytes: Buffer,
  options: UploadFormOptions = {},
): Promise<Reply<T>> {
  const form = new FormData();
  if (options.name !== undefined) form.append("name", options.name);
  if (options.size !== undefined) form.append("size", String(options.size));
  form.append(
    "file",
    new Blob([new Uint8Array(bytes)], { type: options.contentType ?? "application/octet-stream" }),
    options.filename ?? "upload.bin",
  );
  const response = await fetch(`${baseUrl}${path}`, {
    method: "POST",
    body: form,
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  const text = await response.text();
  const body = text && response.headers.get("content-type")?.includes("json") ? JSON.parse(text) : text;
  return { status: response.status, body: body as T, headers: response.headers };
}

/**
 * Sends the start of a multipart upload (`sent` bytes of a `total`-byte file, by Content-Length) and then
 * drops the connection, as a client that goes away mid-upload. Resolves once the socket closed.
 */
export function abortedUpload(baseUrl: string, path: string, token: string, total: number, sent: number): Promise<void> {
  const boundary = "----im-test-boundary";
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const url = new URL(path, baseUrl);
  return new Promise((resolve) => {
    const req = request(url, {
      method: "POST",
      headers: {
        authorization: `Bearer ${token}`,
        "content-type": `multipart/form-data; boundary=${boundary}`,
        "content-length": String(head.length + total + tail.length),
      },
    });
    req.on("error", () => resolve());
    req.on("close", () => resolve());
    req.on("response", (res) => {
      res.resume();
      res.on("close", () => resolve());
    });
    req.write(head);
    req.write(Buffer.alloc(sent, 7), () => {
      setTimeout(() => req.destroy(), 100);
    });
  });
}

/** Every object key in the stack's bucket (to prove nothing was left behind). */
/**
 * Waits until the bucket holds exactly `expected` (sorted as allKeys sorts), up to `timeoutMs`, then asserts it:
 * a cut PUT may leave bytes on versitygw that the app removes in the background within seconds (storage.ts).
 */
export async function keysSettle(stack: UploadStack, expected: readonly string[], message: string, timeoutMs = 8_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let keys = await allKeys(stack);
  while (JSON.stringify(keys) !== JSON.stringify(expected) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    keys = await allKeys(stack);
  }
  assert.deepEqual(keys, expected, message);
}

export async function allKeys(stack: UploadStack): Promise<string[]> {
  return (await stack.upload.deps.storage.listKeys("")).sort();
}

/** A metric's sample value from the upload app's /metrics (0 when absent). */
export async function metricValue(stack: UploadStack, name: string, labels: Record<string, string>): Promise<number> {
  const text = await (await fetch(`${stack.upload.url}/metrics`)).text();
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`)) continue;
    const matches = Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`));
    if (matches) return Number(line.split(" ").pop());
  }
  return 0;
}
