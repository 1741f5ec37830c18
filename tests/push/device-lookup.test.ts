import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createModels, type Models, syncIndexes } from "@im/data";
import { type Connection, connectMongo } from "@im/infra";
import { DeviceLookup } from "@im/push-app";
import { type FerretDbServer, startFerretDb } from "@im/testing";

/** The sender's ownership check reads devices in batches: concurrent sends share one find (real FerretDB). */
describe("push device lookup", () => {
  let server: FerretDbServer;
  let mongo: Connection;
  let models: Models;
  const finds: string[] = [];
  before(async () => {
    server = await startFerretDb();
    mongo = await connectMongo(server.urlFor("im_device_lookup"), { onCommand: () => undefined });
    mongo.getClient().on("commandStarted", (event) => {
      if (event.commandName === "find") finds.push(String(event.command.find));
    });
    models = createModels(mongo);
    await syncIndexes(models);
  });
  after(async () => {
    await mongo?.close();
    await server?.stop();
  });

  it("answers 300 concurrent reads with one find per 128, null for unknown ids, the owner fields for the rest", async () => {
    const now = Date.now();
    await models.pushDevices.insertMany(
      Array.from({ length: 300 }, (_, i) => ({
        _id: `d${i}`,
        userId: 1_000 + i,
        sessionId: `s${i}`,
        tokenHash: `h${i}`,
        provider: "fcm",
        token: `t${i}`,
        appId: "app",
        createTime: now,
        modifyTime: now,
      })),
    );
    const lookup = new DeviceLookup(models, 128);
    finds.length = 0;
    const ids = [...Array.from({ length: 300 }, (_, i) => `d${i}`), "gone", "d7"];
    const found = await Promise.all(ids.map((id) => lookup.get(id)));
    assert.equal(finds.filter((name) => name === "push_devices").length, 3);
    assert.equal(found[300], null);
    assert.deepEqual(
      { userId: found[7]?.userId, tokenHash: found[7]?.tokenHash, token: found[7]?.token },
      { userId: 1_007, tokenHash: "h7", token: "t7" },
    );
    assert.deepEqual(found[301], found[7]);
    assert.ok(found.slice(0, 300).every((device, i) => device?._id === `d${i}`));
  });

  it("fails every waiter of a read that failed, and the next read works again", async () => {
    const lookup = new DeviceLookup(models);
    await mongo.close();
    await assert.rejects(Promise.all([lookup.get("d1"), lookup.get("d2")]));
    mongo = await connectMongo(server.urlFor("im_device_lookup"), { onCommand: () => undefined });
    const again = new DeviceLookup(createModels(mongo));
    assert.equal((await again.get("d1"))?.userId, 1_001);
  });
});
