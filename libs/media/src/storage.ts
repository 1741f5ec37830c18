import type { Readable } from "node:stream";
import { Counter, type Registry } from "@im/telemetry";
import { Client } from "minio";
import { ABANDONED_PUT_REMOVAL_MS, Chunker, isSourceError, lengthError, MAX_SINGLE_PUT, streamPut, stripQuotes } from "./stream-put.js";

/** The object-storage settings of @im/config `mediaSettings` (the S3_* variables). */
export interface StorageSettings {
  /** Internal S3 endpoint the app talks to, e.g. http://minio:9000. */
  S3_ENDPOINT: string;
  /** Endpoint clients reach; presigned URLs are signed for its host. Default S3_ENDPOINT. */
  S3_PUBLIC_ENDPOINT?: string | undefined;
  S3_REGION: string;
  S3_BUCKET: string;
  S3_ACCESS_KEY_ID: string;
  S3_SECRET_ACCESS_KEY: string;
}

/** Options of createObjectStorage. */
export interface ObjectStorageOptions {
  /** Where `im_storage_errors_total{operation}` counts failed storage calls; none = not counted. */
  registry?: Registry;
  /**
   * Bytes per part of a streamed upload of unknown or large size (≥ 5 MiB). It bounds the memory one
   * upload holds (one part at a time). @default 16 MiB
   */
  partSize?: number;
}

/** What `statObject` tells about a stored object. */
export interface ObjectInfo {
  /** Bytes. */
  size: number;
  etag: string;
  contentType: string;
  lastModified: Date;
}

/** A part of an open multipart upload as the storage lists it. */
export interface StoredPart {
  partNumber: number;
  /** The part's ETag without quotes (the hex MD5 of the part's bytes on S3-compatible servers). */
  etag: string;
  /** Bytes. */
  size: number;
}

/** Byte range of a ranged read: `start` to `end` inclusive (end omitted = to the end of the object). */
export interface ByteRange {
  start: number;
  end?: number;
}

/** Options of a presigned download. */
export interface PresignGetOptions {
  /** File name offered to the browser (Content-Disposition); display only. */
  filename?: string;
  /** Content-Type the storage answers with (response-content-type). */
  contentType?: string;
}

/**
 * The platform's object storage: one private bucket on an S3 API (MinIO in production, versitygw in
 * tests), reached by the `minio` client at the internal endpoint; presigned URLs are signed for the
 * public endpoint. Keys are built by keys.ts only. Every method throws what the storage answers (a
 * failure is counted in `im_storage_errors_total{operation}`), except where noted.
 */
export interface ObjectStorage {
  readonly bucket: string;
  /** Creates the bucket when it does not exist (start-up). */
  ensureBucket(): Promise<void>;
  /** A cheap request that fails when the storage is unreachable (readiness). */
  ping(): Promise<void>;
  /** Stores a file from disk under `key`. Returns the object's ETag. */
  putFile(key: string, path: string, contentType: string): Promise<{ etag: string }>;
  /**
   * Stores a stream under `key`. With its `size` (bytes) known (and at most 5 GiB, S3's largest PUT), one PUT
   * streams it through with that Content-Length, holding no part in memory. Without, it is stored in parts of
   * partSize (two in memory at most: one read while the other is stored): a single PUT when the stream ends
   * within the first part, else a multipart upload. A stream of another length than `size`, or one that
   * fails, throws and leaves no object (the PUT never completes; the multipart upload is aborted).
   */
  putStream(key: string, stream: Readable, size: number | undefined, contentType: string): Promise<{ etag: string; size: number }>;
  /** A GET URL signed for the public endpoint, valid `ttlSeconds`. Makes no request. */
  presignGet(key: string, ttlSeconds: number, options?: PresignGetOptions): Promise<string>;
  /** The object's size, ETag and type; undefined when there is no such object. */
  statObject(key: string): Promise<ObjectInfo | undefined>;
  /** The object's bytes, or the given byte range of them. */
  getObject(key: string, range?: ByteRange): Promise<Readable>;
  /** Deletes objects (missing ones are fine: idempotent). */
  removeObjects(keys: readonly string[]): Promise<void>;
  /**
   * Up to `limit` objects under `prefix` whose keys sort after `startAfter`, in key order, with their last
   * modification time (the orphan sweep pages through the bucket with it).
   */
  listObjectsPage(prefix: string, startAfter: string, limit: number): Promise<{ key: string; lastModified: Date }[]>;
  /** Keys under a prefix (tests and repair; lists everything, so only for small prefixes). */
  listKeys(prefix: string): Promise<string[]>;
  /** Opens a multipart upload of `key`; returns the storage's upload id. */
  initMultipart(key: string, contentType: string): Promise<string>;
  /** A PUT URL for one part (1..10000), signed for the public endpoint, valid `ttlSeconds`. Makes no request. */
  presignPart(key: string, storageUploadId: string, partNumber: number, ttlSeconds: number): Promise<string>;
  /** The parts uploaded so far, by part number. */
  listParts(key: string, storageUploadId: string): Promise<StoredPart[]>;
  /** Joins the parts into the object; returns the multipart ETag (`<hex>-<parts>`, without quotes). */
  completeMultipart(
    key: string,
    storageUploadId: string,
    parts: readonly { partNumber: number; etag: string }[],
  ): Promise<{ etag: string }>;
  /** Drops an open multipart upload and its parts (an unknown upload id is fine). */
  abortMultipart(key: string, storageUploadId: string): Promise<void>;
}

const MiB = 1024 * 1024;
/** The smallest part S3 accepts (all parts but the last). */
export const MIN_PART_SIZE = 5 * MiB;
/** The most parts of one multipart upload (S3). */
export const MAX_PARTS = 10_000;

function clientFor(endpoint: string, settings: StorageSettings, partSize: number): Client {
  const url = new URL(endpoint);
  const useSSL = url.protocol === "https:";
  return new Client({
    endPoint: url.hostname,
    port: url.port ? Number(url.port) : useSSL ? 443 : 80,
    useSSL,
    pathStyle: true,
    // Known region: the client never asks the server (GET ?location), and presigning needs no request.
    region: settings.S3_REGION,
    accessKey: settings.S3_ACCESS_KEY_ID,
    secretKey: settings.S3_SECRET_ACCESS_KEY,
    partSize,
  });
}

function isNotFound(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "NotFound" || code === "NoSuchKey" || code === "NoSuchUpload";
}

/** A Content-Disposition value with an ASCII fallback and the UTF-8 name (RFC 6266 / 5987). */
export function contentDisposition(filename: string, type: "inline" | "attachment" = "inline"): string {
  const fallback = filename.replace(/[^\x20-\x7e]|["\\]/g, "_");
  const encoded = encodeURIComponent(filename).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${type}; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

/**
 * Creates the storage of the S3_* settings. Makes no request until a method is called.
 * `options.partSize` must be 5 MiB..5 GiB (the minio client throws otherwise).
 */
export function createObjectStorage(settings: StorageSettings, options: ObjectStorageOptions = {}): ObjectStorage {
  const partSize = options.partSize ?? 16 * MiB;
  const client = clientFor(settings.S3_ENDPOINT, settings, partSize);
  const signer = clientFor(settings.S3_PUBLIC_ENDPOINT ?? settings.S3_ENDPOINT, settings, partSize);
  const bucket = settings.S3_BUCKET;
  const errors = options.registry ? storageErrorCounter(options.registry) : undefined;

  const track = async <T>(operation: string, work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      const fromSource = isSourceError(error);
      if (!isNotFound(error) && !fromSource) errors?.inc({ operation });
      throw error;
    }
  };

  const listParts = (key: string, storageUploadId: string) =>
    (
      client as unknown as { listParts(b: string, k: string, u: string): Promise<{ part: number; etag: string; size: number }[]> }
    ).listParts(bucket, key, storageUploadId);

  /**
   * A PUT cut before its body was complete stores nothing on MinIO, but some S3 servers (versitygw's posix
   * backend) store the bytes that did arrive, shortly after the connection closed: the key is removed now
   * and again over the next seconds (ABANDONED_PUT_REMOVAL_MS), in the background.
   */
  const removeAbandoned = (key: string) => {
    for (const delay of ABANDONED_PUT_REMOVAL_MS) {
      setTimeout(() => {
        client.removeObject(bucket, key).catch(() => undefined);
      }, delay).unref();
    }
  };

  const storage: ObjectStorage = {
    bucket,
    ensureBucket: () =>
      track("ensure_bucket", async () => {
        if (!(await client.bucketExists(bucket))) {
          try {
            await client.makeBucket(bucket, settings.S3_REGION);
          } catch (error) {
            const code = (error as { code?: unknown }).code;
            if (code !== "BucketAlreadyOwnedByYou" && code !== "BucketAlreadyExists") throw error;
          }
        }
      }),
    ping: () =>
      track("ping", async () => {
        await client.bucketExists(bucket);
      }),
    putFile: (key, path, contentType) =>
      track("put", async () => {
        const result = await client.fPutObject(bucket, key, path, { "Content-Type": contentType });
        return { etag: stripQuotes(result.etag) };
      }),
    putStream: (key, stream, size, contentType) =>
      track("put", async () => {
        if (size !== undefined && size > 0 && size <= MAX_SINGLE_PUT) {
          const url = await client.presignedPutObject(bucket, key, 3600);
          try {
            return await streamPut(url, stream, size, contentType);
          } catch (error) {
            removeAbandoned(key);
            throw error;
          }
        }
        const chunker = new Chunker(stream[Symbol.asyncIterator]());
        const first = await chunker.next(partSize);
        if (chunker.finished) {
          if (size !== undefined && first.length !== size) throw lengthError(`stream of ${first.length} bytes, ${size} declared`);
          const result = await client.putObject(bucket, key, first, first.length, { "Content-Type": contentType });
          return { etag: stripQuotes(result.etag), size: first.length };
        }
        const uploadId = await client.initiateNewMultipartUpload(bucket, key, { "Content-Type": contentType });
        try {
          const parts: { part: number; etag: string }[] = [];
          let total = 0;
          let block = first;
          while (block.length > 0) {
            const part = parts.length + 1;
            total += block.length;
            if (size !== undefined && total > size) throw lengthError(`stream longer than the ${size} bytes declared`);
            // The next part is read from the client while this one goes to the storage (two parts in memory at
            // most): the client's connection never waits for the storage's answer.
            const reading = chunker.next(partSize);
            reading.catch(() => undefined); // awaited below; a failure while the part uploads must not go unhandled
            const uploaded = await client.uploadPart(
              { bucketName: bucket, objectName: key, uploadID: uploadId, partNumber: part, headers: {} },
              block,
            );
            parts.push({ part, etag: stripQuotes(uploaded.etag) });
            block = await reading;
          }
          if (size !== undefined && total !== size) throw lengthError(`stream of ${total} bytes, ${size} declared`);
          const result = await client.completeMultipartUpload(bucket, key, uploadId, parts);
          return { etag: stripQuotes(result.etag), size: total };
        } catch (error) {
          await client.abortMultipartUpload(bucket, key, uploadId).catch(() => undefined);
          throw error;
        }
      }),
    presignGet: (key, ttlSeconds, presignOptions = {}) =>
      track("presign", () => {
        const params: Record<string, string> = {};
        if (presignOptions.contentType) params["response-content-type"] = presignOptions.contentType;
        if (presignOptions.filename) params["response-content-disposition"] = contentDisposition(presignOptions.filename);
        return signer.presignedGetObject(bucket, key, ttlSeconds, params);
      }),
    statObject: (key) =>
      track("stat", async () => {
        try {
          const stat = await client.statObject(bucket, key);
          return {
            size: stat.size,
            etag: stripQuotes(stat.etag),
            contentType: String(stat.metaData["content-type"] ?? "application/octet-stream"),
            lastModified: stat.lastModified,
          };
        } catch (error) {
          if (isNotFound(error)) return undefined;
          throw error;
        }
      }),
    getObject: (key, range) =>
      track("get", () =>
        range
          ? client.getPartialObject(bucket, key, range.start, range.end === undefined ? 0 : range.end - range.start + 1)
          : client.getObject(bucket, key),
      ),
    removeObjects: (keys) =>
      track("remove", async () => {
        const unique = [...new Set(keys.filter((key) => key.length > 0))];
        if (unique.length === 0) return;
        const results = await client.removeObjects(bucket, unique);
        const failed = results.find((result) => "Code" in (result as object) && (result as { Code?: string }).Code !== "NoSuchKey");
        if (failed) throw new Error(`remove failed: ${JSON.stringify(failed)}`);
      }),
    listObjectsPage: (prefix, startAfter, limit) =>
      track("list", async () => {
        const page: { key: string; lastModified: Date }[] = [];
        const stream = client.listObjectsV2(bucket, prefix, true, startAfter);
        for await (const item of stream) {
          const { name, lastModified } = item as { name?: unknown; lastModified?: unknown };
          if (typeof name !== "string" || !(lastModified instanceof Date)) continue;
          page.push({ key: name, lastModified });
          if (page.length >= limit) {
            stream.destroy();
            break;
          }
        }
        return page;
      }),
    listKeys: (prefix) =>
      track("list", async () => {
        const keys: string[] = [];
        for await (const item of client.listObjectsV2(bucket, prefix, true)) {
          if (typeof (item as { name?: unknown }).name === "string") keys.push((item as { name: string }).name);
        }
        return keys;
      }),
    initMultipart: (key, contentType) =>
      track("multipart_init", () => client.initiateNewMultipartUpload(bucket, key, { "Content-Type": contentType })),
    presignPart: (key, storageUploadId, partNumber, ttlSeconds) =>
      track("presign", () =>
        signer.presignedUrl("PUT", bucket, key, ttlSeconds, { partNumber: String(partNumber), uploadId: storageUploadId }),
      ),
    listParts: (key, storageUploadId) =>
      track("multipart_list", async () =>
        (await listParts(key, storageUploadId))
          .map((part) => ({ partNumber: part.part, etag: stripQuotes(part.etag), size: part.size }))
          .sort((a, b) => a.partNumber - b.partNumber),
      ),
    completeMultipart: (key, storageUploadId, parts) =>
      track("multipart_complete", async () => {
        const result = await client.completeMultipartUpload(
          bucket,
          key,
          storageUploadId,
          parts.map((part) => ({ part: part.partNumber, etag: part.etag })),
        );
        return { etag: stripQuotes(result.etag) };
      }),
    abortMultipart: (key, storageUploadId) =>
      track("multipart_abort", async () => {
        try {
          await client.abortMultipartUpload(bucket, key, storageUploadId);
        } catch (error) {
          if (!isNotFound(error)) throw error;
        }
      }),
  };
  return storage;
}

/** `im_storage_errors_total{operation}`, created once per registry. */
export function storageErrorCounter(registry: Registry): Counter<"operation"> {
  const existing = registry.getSingleMetric("im_storage_errors_total");
  if (existing) return existing as Counter<"operation">;
  return new Counter({
    name: "im_storage_errors_total",
    help: "Failed object-storage calls (S3 API), by operation",
    labelNames: ["operation"],
    registers: [registry],
  });
}
