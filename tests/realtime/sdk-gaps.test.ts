import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { ImClient } from "@im/client";
import type { DeliveredMessage, SyncedConversation } from "@im/protocol";
import { Server, type Socket } from "socket.io";

/**
 * The SDK's handling of gaps in the live stream, against a real Socket.IO server scripted to play the
 * gateway (so the order and loss of live messages can be chosen exactly).
 */
describe("SDK: gaps in the live stream", () => {
  const conversationId = "g_room1";
  const stored: DeliveredMessage[] = [];
  let syncs = 0;
  /** Seqs up to here are covered (tombstones included) though not all are in `stored`. */
  let covered = 0;
  /** Syncs still to be refused (the store down). */
  let failSyncs = 0;
  /** When set, the committed point: seqs above it are in flight (answers say inFlight). */
  let committed: number | undefined;
  let server: Server;
  let url: string;
  let current: Socket | undefined;

  const message = (seq: number): DeliveredMessage => ({
    conversationId,
    seq,
    messageId: randomUUID(),
    chatType: 2,
    fromUserId: 7,
    fromResource: "web",
    to: "room1",
    type: 1,
    content: `m${seq}`,
    isEncrypt: false,
    isReadDel: false,
    timeSend: Date.now(),
    serverTime: Date.now(),
  });

  before(async () => {
    const http = createServer();
    server = new Server(http);
    server.on("connection", (socket) => {
      current = socket;
      socket.on("sync", (payload: { cursors: Record<string, number> }, ack: (r: unknown) => void) => {
        syncs += 1;
        if (failSyncs > 0) {
          // Like a gateway whose store is down: a final-looking failure the SDK must not take as "gap closed".
          failSyncs -= 1;
          ack({ ok: false, error: { code: 1000, key: "INTERNAL_ERROR", message: "store down" } });
          return;
        }
        const from = payload.cursors[conversationId] ?? 0;
        // Like the gateway: nothing past the committed point; tombstones (`covered`) move nextCursor only.
        const ceiling = committed ?? Number.MAX_SAFE_INTEGER;
        const messages = stored.filter((m) => m.seq > from && m.seq <= ceiling);
        const last = Math.max(from, ...messages.map((m) => m.seq), Math.min(covered, ceiling));
        const inFlight = committed !== undefined;
        const conversations: SyncedConversation[] =
          messages.length === 0 && last <= from && !inFlight
            ? []
            : [{ conversationId, messages, hasMore: false, maxSeq: stored.length, nextCursor: last, ...(inFlight ? { inFlight } : {}) }];
        ack({ ok: true, conversations });
      });
      socket.emit("session:ready", { userId: 8, resource: "web", serverTime: Date.now(), protocolVersion: 1 });
    });
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });
  after(() => server.close());

  const connect = async (gapWaitMs?: number, inFlightRetryMs?: number) => {
    stored.length = 0;
    syncs = 0;
    covered = 0;
    committed = undefined;
    failSyncs = 0;
    const client = new ImClient({
      url,
      token: "t",
      ...(gapWaitMs === undefined ? {} : { gapWaitMs }),
      ...(inFlightRetryMs === undefined ? {} : { inFlightRetryMs }),
    });
    const got: number[] = [];
    client.on("message", (m) => got.push(m.seq));
    await client.connect();
    assert.equal(syncs, 1, "the connect sync");
    return { client, got };
  };
  const push = (m: DeliveredMessage) => current?.emit("message", m);
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const eventually = async (check: () => boolean) => {
    for (let i = 0; i < 50 && !check(); i++) await sleep(100);
  };

  it("waits for a gap the live stream fills, without syncing, and hands messages over in order", async () => {
    const { client, got } = await connect(1_000);
    const [m1, m2, m3] = [message(1), message(2), message(3)];
    stored.push(m1, m2, m3);
    push(m3);
    push(m2);
    await sleep(100);
    assert.deepEqual(got, [], "held behind the gap");
    push(m1);
    await sleep(100);
    assert.deepEqual(got, [1, 2, 3]);
    await sleep(1_600);
    assert.equal(syncs, 1, "no sync: the gap filled live");
    client.close();
  });

  it("syncs a gap that stays open after the wait, and delivers each message once, in order", async () => {
    const { client, got } = await connect(300);
    const [m1, m2, m3] = [message(1), message(2), message(3)];
    stored.push(m1, m2, m3);
    push(m2); // m1 never arrives live
    push(m3);
    await sleep(100);
    assert.deepEqual(got, []);
    await sleep(600);
    assert.equal(syncs, 2, "one sync for the gap");
    assert.deepEqual(got, [1, 2, 3]);
    client.close();
  });

  it("keeps messages past a gap held while the gap's sync fails, and hands everything over in order later", async () => {
    // Found by the rolling-restart chaos test: a gap sync that failed (its gateway restarting) handed the
    // held messages to the app before the missing one, which then came second (125 then 123).
    const { client, got } = await connect(200);
    const [m1, m2, m3] = [message(1), message(2), message(3)];
    stored.push(m1, m2, m3);
    failSyncs = 1;
    push(m2); // m1's push was lost
    push(m3);
    await sleep(600);
    assert.ok(syncs >= 2, "the gap was synced, and that sync failed");
    assert.deepEqual(got, [], "nothing handed over past the open gap");
    await eventually(() => got.length === 3);
    assert.deepEqual(got, [1, 2, 3], "in order once a sync succeeds");
    client.close();
  });

  it("with gapWaitMs 0 syncs at once", async () => {
    const { client, got } = await connect(0);
    const [m1, m2] = [message(1), message(2)];
    stored.push(m1, m2);
    push(m2);
    await sleep(150);
    assert.equal(syncs, 2);
    assert.deepEqual(got, [1, 2]);
    client.close();
  });

  it("stores the sync answer's nextCursor: a permanent gap (tombstones) is passed for good", async () => {
    const { client, got } = await connect(300);
    stored.push(message(1));
    covered = 3; // seqs 2 and 3 are tombstones
    push(message(4)); // a live message past the gap: held, then synced
    await sleep(800);
    assert.deepEqual(got, [1, 4]);
    assert.equal(client.cursors()[conversationId], 4, "past the tombstones to the live message after them");
    client.close();
  });

  it("syncs again shortly when an answer says a seq is still in flight, and gets it without a live push", async () => {
    stored.length = 0;
    syncs = 0;
    covered = 0;
    stored.push(message(1), message(2));
    committed = 1; // m2 is being written when the device connects
    const client = new ImClient({ url, token: "t", inFlightRetryMs: 200 });
    const got: number[] = [];
    client.on("message", (m) => got.push(m.seq));
    await client.connect();
    assert.deepEqual(got, [1]);
    assert.equal(client.cursors()[conversationId], 1);
    committed = undefined; // m2 is stored now
    await eventually(() => got.length === 2);
    assert.deepEqual(got, [1, 2]);
    assert.ok(syncs >= 2, "synced again by itself");
    client.close();
  });
});
