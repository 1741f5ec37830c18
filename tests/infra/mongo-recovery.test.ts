// Issue 10, item 1g: the database unreachable for a while — refused (a stopped server), silent (a network
// partition: packets dropped, nothing answers) or every connection cut — and then back. A connection made by
// connectMongo must answer an operation issued during the outage with an error within a bounded time (never
// an indefinite wait) and serve reads and writes again within a few seconds after the outage ends.
// Real FerretDB behind the fault-injecting TcpProxy; nothing is mocked.
import assert from "node:assert/strict";
import { after, afterEach, before, beforeEach, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { type Connection, connectMongo } from "@im/infra";
import { type FerretDbServer, startFerretDb, TcpProxy } from "@im/testing";

/** After the outage ends, a findOne and an insert both succeed within this many ms. */
const RECOVERY_MS = 5_000;

describe("connectMongo recovers from database outages (real FerretDB behind a TCP proxy)", { timeout: 120_000 }, () => {
  let db: FerretDbServer;
  let proxy: TcpProxy;
  let connection: Connection;
  before(async () => {
    db = await startFerretDb();
  });
  after(async () => {
    await db?.stop();
  });
  beforeEach(async () => {
    proxy = await TcpProxy.start({ targetPort: db.port, protocol: "mongodb" });
    connection = await connectMongo(proxy.url("mongodb", "/im_recovery"));
    await connection.collection("things").insertOne({ warm: true });
  });
  afterEach(async () => {
    await connection?.close(true).catch(() => {});
    await proxy?.stop();
  });

  /** How long an insert takes to settle, and whether it failed. */
  async function timedInsert(): Promise<{ ms: number; failed: boolean }> {
    const started = Date.now();
    const failed = await connection
      .collection("things")
      .insertOne({ during: true })
      .then(
        () => false,
        () => true,
      );
    return { ms: Date.now() - started, failed };
  }

  /** Retries findOne + insertOne until both succeed; resolves with the ms it took, or fails past `limitMs`. */
  async function recoveryTime(limitMs: number): Promise<number> {
    const started = Date.now();
    let last: unknown;
    while (Date.now() - started < limitMs * 3) {
      try {
        await connection.collection("things").findOne({});
        await connection.collection("things").insertOne({ after: true });
        return Date.now() - started;
      } catch (error) {
        last = error;
        await sleep(100);
      }
    }
    assert.fail(`no findOne+insert succeeded within ${limitMs * 3} ms after the outage: ${String(last)}`);
  }

  it("refused for 5 s: each insert during the outage is answered within 4 s; served again within 5 s after", async () => {
    const window = proxy.refuse(5_000);
    // The first insert meets the cut connection; the second waits for a server the driver knows is down.
    for (const which of ["first", "second"]) {
      const during = await timedInsert();
      assert.ok(during.ms < 4_000, `the ${which} insert during the outage took ${during.ms} ms to settle (failed: ${during.failed})`);
    }
    await window;
    const ms = await recoveryTime(RECOVERY_MS);
    assert.ok(ms < RECOVERY_MS, `served again only ${ms} ms after the outage`);
  });

  it("silent for 15 s (packets dropped on open connections, new ones never answered): an insert in flight fails within 10 s; served again within 5 s after", async () => {
    // Both directions swallowed on the open connections (not cut, as a real partition), new connections
    // accepted and never answered; when the window ends the proxy drops the connections that lost bytes.
    const window = Promise.all([proxy.blackhole(15_000, "upstream"), proxy.blackhole(15_000, "downstream")]);
    const during = await timedInsert();
    assert.ok(during.failed, "an insert into a silent server cannot be acknowledged");
    assert.ok(during.ms < 10_000, `the insert in flight during the silence took ${during.ms} ms to fail`);
    await window;
    const ms = await recoveryTime(RECOVERY_MS);
    assert.ok(ms < RECOVERY_MS, `served again only ${ms} ms after the outage`);
  });

  it("every connection cut: served again within 5 s", async () => {
    assert.ok(proxy.cut() >= 1, "there were connections to cut");
    const ms = await recoveryTime(RECOVERY_MS);
    assert.ok(ms < RECOVERY_MS, `served again only ${ms} ms after the cut`);
  });
});
