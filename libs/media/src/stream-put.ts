import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import type { Readable } from "node:stream";
import { AppError } from "@im/protocol";

// How the storage takes a stream (storage.ts putStream): one PUT with a known size, else parts read into
// fixed buffers. The client's bytes fail here in their own way (UPLOAD_TRUNCATED, a source error), which the
// storage does not count as its own failure.

const MiB = 1024 * 1024;

/** An ETag without the quotes S3 puts around it. */
export const stripQuotes = (etag: string) => etag.replace(/^"+|"+$/g, "");

/** Errors of the stream given to putStream (the client's bytes), which are not storage failures. */
const sourceErrors = new WeakSet<object>();

/** True for an error of the client's stream (or its length), not of the storage. */
export const isSourceError = (error: unknown): boolean => typeof error === "object" && error !== null && sourceErrors.has(error);

/** An error about the stream's length (the client's bytes, not the storage's fault): UPLOAD_TRUNCATED. */
export function lengthError(message: string): Error {
  const error = new AppError("UPLOAD_TRUNCATED", { cause: new Error(message) });
  sourceErrors.add(error);
  return error;
}

/**
 * Reads blocks of up to `size` bytes from an async iterator of chunks. Each block is one buffer the chunks are
 * copied into as they arrive (no list of chunks plus a concatenated copy of them), so a block costs its size.
 */
export class Chunker {
  private carry: Buffer | undefined;
  private done = false;
  constructor(private readonly source: AsyncIterator<Buffer | string>) {}

  /** The next block of exactly `size` bytes, or fewer at the end (empty when nothing is left). */
  async next(size: number): Promise<Buffer> {
    const block = Buffer.allocUnsafe(size);
    let filled = 0;
    if (this.carry) {
      const n = Math.min(this.carry.length, size);
      this.carry.copy(block, 0, 0, n);
      filled = n;
      this.carry = n < this.carry.length ? this.carry.subarray(n) : undefined;
    }
    while (filled < size && !this.done) {
      let step: IteratorResult<Buffer | string>;
      try {
        step = await this.source.next();
      } catch (error) {
        if (typeof error === "object" && error !== null) sourceErrors.add(error);
        throw error;
      }
      if (step.done) {
        this.done = true;
        break;
      }
      const chunk = typeof step.value === "string" ? Buffer.from(step.value) : step.value;
      const n = Math.min(chunk.length, size - filled);
      chunk.copy(block, filled, 0, n);
      filled += n;
      if (n < chunk.length) this.carry = chunk.subarray(n);
    }
    return block.subarray(0, filled);
  }

  get finished(): boolean {
    return this.done && this.carry === undefined;
  }
}

/** When the key of a cut PUT is removed, ms after the cut (see removeAbandoned). */
export const ABANDONED_PUT_REMOVAL_MS = [0, 250, 1_000, 3_000, 6_000];

/** S3's largest single PUT (bytes). */
export const MAX_SINGLE_PUT = 5 * 1024 * MiB;

/**
 * PUTs `stream` to a presigned URL with Content-Length `size`, piped through (the payload is unsigned, as with
 * every presigned URL: neither side hashes it for the signature). Throws a length error (and the storage keeps
 * nothing: the request is cut before its body is complete) when the stream is shorter or longer than `size`.
 */
export function streamPut(url: string, stream: Readable, size: number, contentType: string): Promise<{ etag: string; size: number }> {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let settled = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      req.destroy();
      stream.resume(); // drain what is left, so the client's request completes and gets its answer
      reject(error);
    };
    const target = new URL(url);
    const req = (target.protocol === "https:" ? httpsRequest : httpRequest)(
      target,
      { method: "PUT", headers: { "content-length": String(size), "content-type": contentType } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", fail);
        res.on("end", () => {
          if (settled) return;
          const status = res.statusCode ?? 0;
          const etag = res.headers.etag;
          if (status !== 200 || typeof etag !== "string") {
            fail(new Error(`PUT answered ${status}: ${Buffer.concat(chunks).toString().slice(0, 300)}`));
            return;
          }
          settled = true;
          resolve({ etag: stripQuotes(etag), size });
        });
      },
    );
    req.on("error", fail);
    // Written by hand, not piped: a chunk that would take the body past `size` is never sent (the storage
    // would take the first `size` bytes as a complete body), and a short body is never ended.
    req.on("drain", () => stream.resume());
    stream.on("data", (chunk: Buffer) => {
      if (settled) return;
      if (sent + chunk.length > size) {
        fail(lengthError(`stream longer than the ${size} bytes declared`));
        return;
      }
      sent += chunk.length;
      if (!req.write(chunk)) stream.pause();
    });
    stream.on("error", (error: Error) => {
      sourceErrors.add(error);
      fail(error);
    });
    stream.on("end", () => {
      if (settled) return;
      if (sent !== size) fail(lengthError(`stream of ${sent} bytes, ${size} declared`));
      else req.end();
    });
  });
}
