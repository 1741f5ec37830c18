import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { type S3Server, startS3Server } from "@im/testing";
import { Client } from "minio";

/**
 * The S3 server of local runs and tests (versitygw, POSIX backend with a metadata sidecar) driven by the
 * `minio` client exactly as the upload app will drive MinIO: buckets, streamed objects with metadata,
 * ranges, presigned GET and PUT over plain HTTP, multipart, deletes, and refused credentials.
 */
describe("S3 server (versitygw) through the minio client", () => {
  let s3: S3Server;
  let client: Client;
  const bucket = "im-media";
  before(async () => {
    s3 = await startS3Server();
    client = new Client({
      endPoint: s3.host,
      port: s3.port,
      useSSL: false,
      accessKey: s3.accessKey,
      secretKey: s3.secretKey,
      region: s3.region,
      pathStyle: true,
    });
    await client.makeBucket(bucket, s3.region);
  });
  after(() => s3.stop());

  it("stores an object with its content type and metadata and serves it whole and by range", async () => {
    const body = randomBytes(300_000);
    await client.putObject(bucket, "media/2026/11/a.bin", body, body.length, { "Content-Type": "image/png", "x-amz-meta-owner": "100001" });
    const stat = await client.statObject(bucket, "media/2026/11/a.bin");
    assert.equal(stat.size, body.length);
    assert.equal(stat.metaData["content-type"], "image/png");
    assert.equal(stat.metaData.owner, "100001");
    const chunks: Buffer[] = [];
    for await (const chunk of await client.getObject(bucket, "media/2026/11/a.bin")) chunks.push(chunk as Buffer);
    assert.ok(Buffer.concat(chunks).equals(body));
    const part: Buffer[] = [];
    for await (const chunk of await client.getPartialObject(bucket, "media/2026/11/a.bin", 1000, 500)) part.push(chunk as Buffer);
    assert.ok(Buffer.concat(part).equals(body.subarray(1000, 1500)));
  });

  it("answers presigned PUT and GET URLs over plain HTTP, and refuses a tampered signature", async () => {
    const put = await client.presignedPutObject(bucket, "avatars/100001.jpg", 60);
    const uploaded = await fetch(put, { method: "PUT", body: "jpeg bytes" });
    assert.equal(uploaded.status, 200);
    const get = await client.presignedGetObject(bucket, "avatars/100001.jpg", 60);
    const fetched = await fetch(get);
    assert.equal(fetched.status, 200);
    assert.equal(await fetched.text(), "jpeg bytes");
    const tampered = get.replace(/X-Amz-Signature=[0-9a-f]{4}/, "X-Amz-Signature=0000");
    assert.equal((await fetch(tampered)).status, 403);
  });

  it("assembles a multipart upload (the minio client splits large streams) and deletes objects", async () => {
    const big = randomBytes(12 * 1024 * 1024);
    await client.putObject(bucket, "files/big.bin", big, big.length, { "Content-Type": "application/octet-stream" });
    assert.equal((await client.statObject(bucket, "files/big.bin")).size, big.length);
    await client.removeObject(bucket, "files/big.bin");
    await assert.rejects(client.statObject(bucket, "files/big.bin"), (error: { code?: string }) => error.code === "NotFound");
  });

  it("refuses wrong credentials", async () => {
    const stranger = new Client({
      endPoint: s3.host,
      port: s3.port,
      useSSL: false,
      accessKey: "nobody",
      secretKey: "wrong-secret-key",
      region: s3.region,
      pathStyle: true,
    });
    await assert.rejects(stranger.listBuckets());
  });
});
