import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { connectMongo } from "@im/infra";
import { assertShardLayout, ShardLayoutError } from "@im/messaging";
import { type FerretDbServer, startFerretDb } from "@im/testing";
import type { Connection } from "mongoose";

describe("message shard layout guard", () => {
  let server: FerretDbServer;
  let connection: Connection;
  before(async () => {
    server = await startFerretDb();
    connection = await connectMongo(server.urlFor("layout"));
  });
  after(async () => {
    await connection.close();
    await server.stop();
  });

  it("records the first shard count and refuses a different one", async () => {
    await assertShardLayout(connection, 8);
    await assertShardLayout(connection, 8);
    await assert.rejects(
      assertShardLayout(connection, 16),
      (error) => error instanceof ShardLayoutError && /MESSAGE_SHARDS is 16/.test(error.message),
    );
    await Promise.all([assertShardLayout(connection, 8), assertShardLayout(connection, 8)]);
  });
});
