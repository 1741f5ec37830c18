// The backup procedure of docs/kubernetes.md ("Backups") on the local stack: scripts/im-backup.sh backs up a
// platform's MongoDB (FerretDB here) and object storage (versitygw) and restores them into empty stores with an
// EMPTY Redis (Redis is not backed up). Afterwards every message, object, index and the shard layout is there,
// and the platform's own rules make a restored database safe: new messages continue the stored seqs.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { connectMongo, createRedis, type Redis } from "@im/infra";
import { createObjectStorage, newMediaKey, type ObjectStorage } from "@im/media";
import { assertShardLayout, createMessageStore, ShardLayoutError, storeSingle, syncMessageIndexes, userShard } from "@im/messaging";
import { sendMessageSchema, singleConversationId } from "@im/protocol";
import { type FerretDbServer, type RedisServer, type S3Server, startFerretDb, startRedis, startS3Server } from "@im/testing";
import type { Connection } from "mongoose";

const root = new URL("../../", import.meta.url).pathname;
const shards = 4;
const bucket = "im-media";

interface Stack {
  mongo: FerretDbServer;
  redis: RedisServer;
  s3: S3Server;
  connection: Connection;
  client: Redis;
  storage: ObjectStorage;
  /** The apps' variables for this stack (what the script reads). */
  env: Record<string, string>;
}

async function startStack(name: string): Promise<Stack> {
  const [mongo, redis, s3] = await Promise.all([startFerretDb(), startRedis(), startS3Server()]);
  const env = {
    MONGO_URL: mongo.urlFor("im"),
    S3_ENDPOINT: s3.endpoint,
    S3_REGION: s3.region,
    S3_BUCKET: bucket,
    S3_ACCESS_KEY_ID: s3.accessKey,
    S3_SECRET_ACCESS_KEY: s3.secretKey,
  };
  const connection = await connectMongo(env.MONGO_URL);
  const client = createRedis(redis.url, `backup-${name}`);
  return { mongo, redis, s3, connection, client, storage: createObjectStorage(env), env };
}

async function stopStack(stack: Stack | undefined): Promise<void> {
  if (!stack) return;
  stack.client.disconnect();
  await stack.connection.close();
  await Promise.all([stack.mongo.stop(), stack.redis.stop(), stack.s3.stop()]);
}

function backupScript(action: "backup" | "restore", dir: string, env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const options = { cwd: root, env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env }, timeout: 120_000 };
    execFile("bash", [join(root, "scripts/im-backup.sh"), action, dir], options, (error, stdout, stderr) => {
      if (error) reject(new Error(`im-backup.sh ${action} failed: ${error.message}\n${stderr}${stdout}`));
      else resolve(stdout);
    });
  });
}

const text = (to: number) => sendMessageSchema.parse({ messageId: randomUUID(), chatType: 1, to: String(to), type: 1, content: "kept" });

describe("backup and restore on the local stack (scripts/im-backup.sh)", { timeout: 300_000 }, () => {
  let source: Stack | undefined;
  let target: Stack | undefined;
  let scratch = "";
  before(async () => {
    [source, target] = await Promise.all([startStack("source"), startStack("target")]);
    scratch = await mkdtemp(join(tmpdir(), "im-backup-"));
  });
  after(async () => {
    await Promise.all([stopStack(source), stopStack(target)]);
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it("restores MongoDB and the objects into empty stores; with an empty Redis new messages continue the stored seqs", async () => {
    assert.ok(source && target);
    // The platform's data, written by its own code: the shard layout, messages (seqs in Redis), an object and
    // the record naming it.
    const store = createMessageStore(source.connection, source.client, shards);
    await syncMessageIndexes(store);
    await assertShardLayout(source.connection, shards);
    const seqs = [];
    for (let i = 0; i < 3; i++) seqs.push((await storeSingle(store, { userId: 101, resource: "web" }, text(102), 102)).message.seq);
    assert.deepEqual(seqs, [1, 2, 3]);
    await source.storage.ensureBucket();
    const key = newMediaKey();
    const bytes = randomBytes(4096);
    await source.storage.putStream(key, Readable.from([bytes]), bytes.length, "image/jpeg");
    await source.connection.db?.collection("media_blobs").insertOne({ _id: "blob-1" as never, key, size: bytes.length });

    const dir = join(scratch, "backup-1");
    await backupScript("backup", dir, source.env);
    await assert.rejects(backupScript("backup", dir, source.env), /exists/, "never into an existing backup");
    await backupScript("restore", dir, target.env);

    // MongoDB: every message copy, the indexes (unique on conversation and seq) and the shard layout.
    const conversationId = singleConversationId(101, 102);
    const shardName = store.shards.user(userShard(102, shards)).collection.collectionName;
    const restoredDb = target.connection.db;
    assert.ok(restoredDb);
    assert.equal(await restoredDb.collection(shardName).countDocuments({ ownerId: 102, conversationId }), 3);
    const indexNames = async (connection: Connection) =>
      (await connection.db?.collection(shardName).listIndexes().toArray())?.map((index) => index.name).sort();
    assert.deepEqual(await indexNames(target.connection), await indexNames(source.connection));
    await assertShardLayout(target.connection, shards);
    await assert.rejects(assertShardLayout(target.connection, shards * 2), ShardLayoutError);

    // Objects: the bytes every restored record names.
    const blob = await restoredDb.collection<{ key: string }>("media_blobs").findOne({});
    assert.equal(blob?.key, key);
    const restored = Buffer.concat(await (await target.storage.getObject(key)).toArray());
    assert.ok(restored.equals(bytes));

    // Redis was not restored (empty): the store takes the next seq from MongoDB, never reusing one.
    assert.equal(await target.client.dbsize(), 0);
    const restoredStore = createMessageStore(target.connection, target.client, shards);
    const next = await storeSingle(restoredStore, { userId: 102, resource: "web" }, text(101), 101);
    assert.equal(next.message.seq, 4);
  });
});
