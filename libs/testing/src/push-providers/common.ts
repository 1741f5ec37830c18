import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer, type Server } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** A self-signed certificate for 127.0.0.1 / localhost, made in the test run (openssl), PEM text. */
export interface TestTls {
  key: string;
  cert: string;
  /** The certificate again: what a client trusts (PUSH_CA_FILE). */
  ca: string;
}

let shared: Promise<TestTls> | undefined;

/**
 * Makes a fresh self-signed P-256 certificate valid for `127.0.0.1` and `localhost` (one day) with the openssl
 * command; `shared: true` reuses one per process (several fakes in one test trust the same CA file).
 */
export function createTestTls(options: { shared?: boolean } = {}): Promise<TestTls> {
  if (options.shared) {
    shared ??= makeTls();
    return shared;
  }
  return makeTls();
}

async function makeTls(): Promise<TestTls> {
  const dir = await mkdtemp(join(tmpdir(), "im-push-tls-"));
  try {
    const keyPath = join(dir, "key.pem");
    const certPath = join(dir, "cert.pem");
    await run("openssl", [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-days",
      "1",
      "-subj",
      "/CN=localhost",
      "-addext",
      "subjectAltName=IP:127.0.0.1,DNS:localhost",
      "-keyout",
      keyPath,
      "-out",
      certPath,
    ]);
    const [key, cert] = await Promise.all([readFile(keyPath, "utf8"), readFile(certPath, "utf8")]);
    return { key, cert, ca: cert };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A clock the fakes read (epoch ms); tests pass the same one to the clients to move time without waiting. */
export type Clock = () => number;

/**
 * Replies a fake gives instead of its normal answer: `next` are used in order, one per request (then the fake
 * answers normally again); `byToken` answer every request for that device token until cleared.
 */
export class ReplyScript<R> {
  private readonly queue: R[] = [];
  private readonly perToken = new Map<string, R>();

  /** Queues replies for the next requests, in order. */
  next(...replies: R[]): void {
    this.queue.push(...replies);
  }
  /** Every request for `token` gets `reply` (a dead token, a partial failure) until `clear()`. */
  forToken(token: string, reply: R): void {
    this.perToken.set(token, reply);
  }
  /** Forgets every scripted reply. */
  clear(): void {
    this.queue.length = 0;
    this.perToken.clear();
  }
  /** Queued replies not used yet. */
  get pending(): number {
    return this.queue.length;
  }
  /** The reply for a request to these tokens: a per-token one first, else the next queued one. */
  take(tokens: readonly string[]): R | undefined {
    for (const token of tokens) {
      const reply = this.perToken.get(token);
      if (reply !== undefined) return reply;
    }
    return this.queue.shift();
  }
  /** Per-token replies of these tokens (Huawei / Xiaomi batches answer per token). */
  forTokens(tokens: readonly string[]): Map<string, R> {
    const found = new Map<string, R>();
    for (const token of tokens) {
      const reply = this.perToken.get(token);
      if (reply !== undefined) found.set(token, reply);
    }
    return found;
  }
}

/** Reads a request body whole (the fakes cap it at 1 MiB). */
export async function readBody(request: AsyncIterable<Buffer | string>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    size += buffer.length;
    if (size > 1024 * 1024) throw new Error("request body over 1 MiB");
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

/** Waits `ms` (a fake's scripted latency). */
export function pause(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

/** A JSON answer. */
export function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { "content-type": "application/json; charset=UTF-8", "content-length": Buffer.byteLength(text), ...headers });
  response.end(text);
}

/** A running HTTPS (HTTP/1.1) fake on 127.0.0.1. */
export interface HttpsFake {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** Starts an HTTPS server on 127.0.0.1 (a free port) answering with `handler`; a throwing handler answers 500. */
export async function startHttpsFake(
  tls: TestTls,
  handler: (request: IncomingMessage, response: ServerResponse) => Promise<void>,
): Promise<HttpsFake> {
  const server: Server = createServer({ key: tls.key, cert: tls.cert }, (request, response) => {
    handler(request, response).catch((error: unknown) => {
      if (!response.headersSent) sendJson(response, 500, { error: String(error) });
      else response.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return {
    url: `https://127.0.0.1:${address.port}`,
    port: address.port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Reads `Authorization: Bearer <token>`, or undefined. */
export function bearerOf(header: string | undefined): string | undefined {
  const match = /^Bearer (\S+)$/i.exec(header ?? "");
  return match?.[1];
}
