import { createHash, type Hash } from "node:crypto";
import { PassThrough, type Readable, Transform, type TransformCallback } from "node:stream";
import { AppError } from "@im/protocol";
import busboy from "busboy";
import type { Request } from "express";

/** The multipart form of an upload: optional fields `name` and `size` before one file part named `file`. */
export interface UploadForm {
  /** The client's file name: the `name` field, else the file part's filename (raw; see displayName). */
  name: string;
  /** The declared size in bytes (field `size`), when given. */
  declaredSize: number | undefined;
}

/** Longest display name kept (characters). */
export const MAX_NAME_LENGTH = 200;

/**
 * A client's file name made safe for display (never for keys or paths): only the last path segment
 * (`../../etc/passwd` → `passwd`, `C:\x\y.doc` → `y.doc`), no control or bidi-override characters, trimmed, at
 * most MAX_NAME_LENGTH characters (keeping the extension when it is short); "" when nothing is left.
 */
export function displayName(raw: string): string {
  const lastSegment = raw.split(/[/\\]/).pop() ?? "";
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
  const cleaned = lastSegment.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, "").trim();
  if (cleaned === "." || cleaned === "..") return "";
  const chars = [...cleaned];
  if (chars.length <= MAX_NAME_LENGTH) return cleaned;
  const dot = cleaned.lastIndexOf(".");
  const ext = dot > 0 ? [...cleaned.slice(dot)] : [];
  if (ext.length > 0 && ext.length <= 16) return chars.slice(0, MAX_NAME_LENGTH - ext.length).join("") + ext.join("");
  return chars.slice(0, MAX_NAME_LENGTH).join("");
}

/**
 * A pass-through that hashes (SHA-256) and counts every byte and keeps the first `sampleSize` bytes
 * (for sniffing the type) without delaying them.
 */
export class HashingCounter extends Transform {
  readonly hash: Hash = createHash("sha256");
  bytes = 0;
  private readonly sampleChunks: Buffer[] = [];
  private sampleBytes = 0;

  constructor(private readonly sampleSize = 4100) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    if (this.sampleBytes < this.sampleSize) {
      const part = chunk.subarray(0, this.sampleSize - this.sampleBytes);
      this.sampleChunks.push(part);
      this.sampleBytes += part.length;
    }
    callback(null, chunk);
  }

  /** The first bytes seen (up to sampleSize). */
  get sample(): Buffer {
    return Buffer.concat(this.sampleChunks);
  }

  /** The SHA-256 of every byte seen, hex (call once, after the end). */
  digest(): string {
    return this.hash.digest("hex");
  }
}

/** Reads the first `size` bytes of a stream; returns them and a stream of the whole (those bytes, then the rest). */
export async function peek(stream: Readable, size: number): Promise<{ head: Buffer; whole: Readable }> {
  const chunks: Buffer[] = [];
  let total = 0;
  const iterator = stream[Symbol.asyncIterator]();
  while (total < size) {
    const { value, done } = await iterator.next();
    if (done) break;
    const chunk = Buffer.isBuffer(value) ? value : Buffer.from(value as Uint8Array);
    chunks.push(chunk);
    total += chunk.length;
  }
  const head = Buffer.concat(chunks);
  const whole = new PassThrough();
  (async () => {
    try {
      if (head.length > 0 && !whole.write(head)) await new Promise((resolve) => whole.once("drain", resolve));
      for (;;) {
        const { value, done } = await iterator.next();
        if (done) break;
        if (!whole.write(value)) await new Promise((resolve) => whole.once("drain", resolve));
      }
      whole.end();
    } catch (error) {
      whole.destroy(error as Error);
    }
  })();
  return { head: head.subarray(0, Math.min(size, head.length)), whole };
}

/** Limits of one upload request. */
export interface ReceiveLimits {
  /** Largest accepted file, bytes: one byte more is UPLOAD_TOO_LARGE. */
  maxBytes: number;
}

/**
 * Reads a multipart/form-data upload as it streams (busboy; nothing is held in memory beyond its buffers):
 * fields `name` and `size` (when they come before the file), then the one file part `file`, which `consume`
 * must read to its end. The file stream fails with AppError UPLOAD_TOO_LARGE past `maxBytes` (or when the
 * declared size is over it, before any byte is read) and UPLOAD_TRUNCATED when the client goes away or the
 * form ends early; `consume`'s result or error is returned. Other parts are skipped. Throws
 * UNSUPPORTED_MEDIA_TYPE for a body that is not multipart/form-data and VALIDATION_FAILED when no file part came.
 * After an error the rest of the body is read and dropped, so the client gets the answer.
 */
export function receiveFile<T>(req: Request, limits: ReceiveLimits, consume: (file: Readable, form: UploadForm) => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        limits: { fileSize: limits.maxBytes + 1, files: 1, fields: 4, fieldSize: 4096, fieldNameSize: 64, parts: 6 },
      });
    } catch (error) {
      reject(new AppError("UNSUPPORTED_MEDIA_TYPE", { cause: error }));
      return;
    }
    const fields: Record<string, string> = {};
    let fileStream: PassThrough | undefined;
    let settled = false;
    const settle = (error: unknown, value?: T) => {
      if (settled) return;
      settled = true;
      if (error) reject(error);
      else resolve(value as T);
    };
    const fail = (error: AppError) => {
      if (fileStream && !fileStream.destroyed) fileStream.destroy(error);
      else if (!fileStream) settle(error);
    };

    parser.on("field", (name, value) => {
      fields[name] = value;
    });
    parser.on("file", (field, file, info) => {
      if (field !== "file" || fileStream) {
        file.resume();
        return;
      }
      const guarded = new PassThrough();
      fileStream = guarded;
      const declared = fields.size === undefined ? undefined : Number(fields.size);
      const form: UploadForm = { name: fields.name ?? info.filename ?? "", declaredSize: declared };
      if (declared !== undefined && (!Number.isSafeInteger(declared) || declared < 0)) {
        file.resume();
        guarded.destroy(new AppError("VALIDATION_FAILED", { issues: [{ field: "size", message: "must be a whole number of bytes" }] }));
      } else if (declared !== undefined && declared > limits.maxBytes) {
        file.resume();
        guarded.destroy(new AppError("UPLOAD_TOO_LARGE"));
      } else {
        file.on("limit", () => {
          file.unpipe(guarded);
          file.resume();
          guarded.destroy(new AppError("UPLOAD_TOO_LARGE"));
        });
        file.on("error", (error: Error) => guarded.destroy(new AppError("UPLOAD_TRUNCATED", { cause: error })));
        file.pipe(guarded);
      }
      consume(guarded, form).then(
        (value) => settle(undefined, value),
        (error) => {
          file.resume();
          settle(error);
        },
      );
    });
    parser.on("error", (error: unknown) => fail(new AppError("UPLOAD_TRUNCATED", { cause: error })));
    parser.on("close", () => {
      if (!fileStream)
        settle(new AppError("VALIDATION_FAILED", { issues: [{ field: "file", message: "a file part named file is required" }] }));
    });
    req.on("close", () => {
      if (!req.complete) fail(new AppError("UPLOAD_TRUNCATED"));
    });
    req.pipe(parser);
  });
}
