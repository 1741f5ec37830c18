import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { createObjectStorage, newMediaKey, type ObjectStorage } from "@im/media";
import { createMetricsRegistry } from "@im/telemetry";
import { type S3Server, startS3Server } from "@im/testing";

const MiB = 1024 * 1024;

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A stream of `total` bytes in small chunks (like a request body), failing after `failAfter` bytes if given. */
function chunked(data: Buffer, failAfter?: number): Readable {
  let offset = 0;
  return new Readable({
    read() {
      if (failAfter !== undefined && offset >= failAfter) {
        this.destroy(new Error("client went away"));
        return;
      }
      if (offset >= data.length) {
        this.push(null);
        return;
      }
      const end = Math.min(offset + 64 * 1024, data.length);
      this.push(data.subarray(offset, end));
      offset = end;
    },
  });
}

describe("object storage (versitygw)", () => {
  let s3: S3Server;
  let storage: ObjectStorage;
  let dir: string;
  const registry = createMetricsRegistry("storage-test");

  before(async () => {
    s3 = await startS3Server();
    dir = await mkdtemp(join(tmpdir(), "im-storage-"));
    const settings = {
      S3_ENDPOINT: s3.endpoint,
      S3_PUBLIC_ENDPOINT: `http://localhost:${s3.port}`,
      S3_REGION: s3.region,
      S3_BUCKET: "im-storage-test",
      S3_ACCESS_KEY_ID: s3.accessKey,
      S3_SECRET_ACCESS_KEY: s3.secretKey,
    };
    storage = createObjectStorage(settings, { registry, partSize: 5 * MiB });
    await storage.ensureBucket();
    await storage.ensureBucket(); // twice is fine
  });
  after(async () => {
    await s3?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("stores a file and serves it by a presigned GET signed for the public host", async () => {
    const key = newMediaKey();
    const path = join(dir, "a.bin");
    const bytes = randomBytes(1000);
    await writeFile(path, bytes);
    await storage.putFile(key, path, "application/pdf");
    const url = await storage.presignGet(key, 60, { filename: "报告 1.pdf", contentType: "application/pdf" });
    assert.ok(url.startsWith(`http://localhost:${s3.port}/im-storage-test/${key}?`), url);
    const response = await fetch(url);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "application/pdf");
    assert.match(response.headers.get("content-disposition") ?? "", /filename\*=UTF-8''%E6%8A%A5%E5%91%8A%201\.pdf/);
    assert.deepEqual(Buffer.from(await response.arrayBuffer()), bytes);
    const stat = await storage.statObject(key);
    assert.equal(stat?.size, 1000);
    assert.equal(stat?.contentType, "application/pdf");
    assert.equal(await storage.statObject(newMediaKey()), undefined);
  });

  it("streams a body of unknown size in parts and reads ranges back", async () => {
    const key = newMediaKey();
    const bytes = randomBytes(12 * MiB + 123);
    const stored = await storage.putStream(key, chunked(bytes), undefined, "video/mp4");
    assert.equal(stored.size, bytes.length);
    assert.match(stored.etag, /-3$/, "three parts of 5 MiB at most");
    assert.deepEqual(await readAll(await storage.getObject(key)), bytes);
    assert.deepEqual(await readAll(await storage.getObject(key, { start: 10, end: 19 })), bytes.subarray(10, 20));
    assert.deepEqual(await readAll(await storage.getObject(key, { start: bytes.length - 5 })), bytes.subarray(-5));
  });

  it("stores nothing when the stream fails or is not the declared size", async () => {
    const prefix = "media/failing/";
    const bytes = randomBytes(7 * MiB);
    await assert.rejects(storage.putStream(`${prefix}1`, chunked(bytes, 6 * MiB), undefined, "application/zip"), /client went away/);
    await assert.rejects(storage.putStream(`${prefix}2`, chunked(bytes), bytes.length + 1, "application/zip"), { key: "UPLOAD_TRUNCATED" });
    await assert.rejects(storage.putStream(`${prefix}3`, chunked(bytes.subarray(0, 100)), 99, "application/zip"), {
      key: "UPLOAD_TRUNCATED",
    });
    assert.deepEqual(await storage.listKeys(prefix), []);
    // versitygw stores what arrived of a cut PUT a few hundred ms after the cut; the storage removes it again
    // in the background (storage.ts removeAbandoned), so it is gone within seconds (and stays if nothing removes it).
    await new Promise((resolve) => setTimeout(resolve, 500));
    let left = await storage.listKeys(prefix);
    for (let i = 0; i < 80 && left.length > 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      left = await storage.listKeys(prefix);
    }
    assert.deepEqual(left, [], "nothing stored, even later");
  });

  it("runs a presigned multipart upload: parts PUT by URL, listed with their MD5 ETags, completed", async () => {
    const key = newMediaKey();
    const parts = [randomBytes(5 * MiB), randomBytes(1234)];
    const uploadId = await storage.initMultipart(key, "application/octet-stream");
    for (const [index, part] of parts.entries()) {
      const url = await storage.presignPart(key, uploadId, index + 1, 60);
      assert.ok(url.startsWith(`http://localhost:${s3.port}/`));
      const response = await fetch(url, { method: "PUT", body: part });
      assert.equal(response.status, 200, await response.text());
    }
    const listed = await storage.listParts(key, uploadId);
    assert.deepEqual(
      listed.map((part) => [part.partNumber, part.size, part.etag]),
      parts.map((part, index) => [index + 1, part.length, createHash("md5").update(part).digest("hex")]),
    );
    const { etag } = await storage.completeMultipart(key, uploadId, listed);
    const expected = createHash("md5")
      .update(Buffer.concat(parts.map((part) => createHash("md5").update(part).digest())))
      .digest("hex");
    assert.equal(etag, `${expected}-2`);
    assert.equal((await storage.statObject(key))?.size, 5 * MiB + 1234);
  });

  it("aborts a multipart upload (twice is fine) and removes objects idempotently", async () => {
    const key = newMediaKey();
    const uploadId = await storage.initMultipart(key, "application/octet-stream");
    const url = await storage.presignPart(key, uploadId, 1, 60);
    await fetch(url, { method: "PUT", body: randomBytes(100) });
    await storage.abortMultipart(key, uploadId);
    await storage.abortMultipart(key, uploadId);
    await assert.rejects(storage.listParts(key, uploadId));
    const path = join(dir, "b.bin");
    await writeFile(path, "x");
    await storage.putFile(key, path, "text/plain");
    await storage.removeObjects([key, key, newMediaKey()]);
    await storage.removeObjects([key]);
    assert.equal(await storage.statObject(key), undefined);
  });

  it("counts failed calls in im_storage_errors_total", async () => {
    const broken = createObjectStorage(
      {
        S3_ENDPOINT: s3.endpoint,
        S3_REGION: s3.region,
        S3_BUCKET: "im-storage-test",
        S3_ACCESS_KEY_ID: s3.accessKey,
        S3_SECRET_ACCESS_KEY: "wrong-secret",
      },
      { registry },
    );
    await assert.rejects(broken.getObject("media/x"));
    const text = await registry.metrics();
    assert.match(text, /im_storage_errors_total\{operation="get",app="storage-test"\} 1/);
  });
});
