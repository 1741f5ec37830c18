// Issue 10, item 1b and section 4: Redis loses its last writes while a conversation is active. The stack runs
// on a real redis-server with its append-only file on; the test copies its data after m1, keeps writing
// (m2, m3), then restarts Redis from the copy on the same port, so the sequence counter goes back, and keeps
// sending. Clients are raw socket.io-client, written from docs/messaging.md alone.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { freePort, type RewindableRedis, startRewindableRedis } from "@im/testing";
import { allStoredCopies, duplicateSeqs, RawClient, startGatewayAt, startStackOn, textTo, waitFor } from "../support/chaos.js";
import { ApiClient } from "../support/client.js";
import type { GatewayProcess } from "../support/realtime.js";
import type { TestStack } from "../support/stack.js";
import { registerUser } from "../support/users.js";

describe("chaos: Redis losing its last writes during a conversation", { timeout: 90_000 }, () => {
  let redis: RewindableRedis;
  let stack: TestStack;
  let gateway: GatewayProcess;
  const clients: RawClient[] = [];
  before(async () => {
    redis = await startRewindableRedis();
    stack = await startStackOn({ redis });
    gateway = await startGatewayAt(stack, "gw1", await freePort());
  });
  after(async () => {
    for (const client of clients) client.close();
    await gateway?.process.stop();
    await stack?.stop();
  });

  const device = async (token: string, resource: string, cursors: Record<string, number> = {}) => {
    const client = new RawClient(gateway.url, token, { resource, cursors });
    clients.push(client);
    await client.connect();
    return client;
  };

  it("hands out no seq twice, and every acknowledged message reaches an offline device and a fresh one in seq order", async () => {
    const api = new ApiClient(stack.api.url);
    const alice = await registerUser(stack, api);
    const bob = await registerUser(stack, api);
    const sender = await device(alice.token, "web");
    const away = await device(bob.token, "android"); // bob's phone: online for m1..m3, then offline

    const acked: Array<{ messageId: string; seq: number; content: string }> = [];
    const send = async (content: string) => {
      const message = textTo(bob.userId, content);
      const { receipt, failures } = await sender.sendUntilAcknowledged(message, { attempts: 40, timeoutMs: 3_000, pauseMs: 250 });
      assert.ok(receipt, `harness: ${content} acknowledged once Redis is back (${JSON.stringify(failures.at(-1))})`);
      acked.push({ messageId: message.messageId, seq: receipt.seq, content });
    };

    await send("m1");
    await redis.snapshot(); // the counter of this conversation is 1 in the copy
    await send("m2");
    await send("m3");
    const conversationId = `s_${Math.min(alice.userId, bob.userId)}_${Math.max(alice.userId, bob.userId)}`;
    assert.ok(await waitFor(() => away.cursors[conversationId] === 3, 5_000), "harness: bob's phone has m1..m3 live");
    away.disconnect();

    await redis.rewind(); // every write since m1 is lost: the counter is back at 1
    for (const content of ["x1", "x2", "x3"]) await send(content);

    const violations: string[] = [];
    const duplicates = duplicateSeqs(await allStoredCopies(stack));
    if (duplicates.length > 0) violations.push(`seqs stored twice: ${duplicates.join("; ")}`);
    const seqs = acked.map((a) => a.seq);
    if (new Set(seqs).size !== seqs.length) violations.push(`receipts repeat seqs: ${acked.map((a) => `${a.content}@${a.seq}`).join(" ")}`);

    // Bob's phone comes back with the cursors it kept and syncs.
    const back = await device(bob.token, "android", away.cursors);
    const missing = acked
      .filter((a) => !away.messages.has(a.messageId) && !back.messages.has(a.messageId))
      .map((a) => `${a.content}@${a.seq}`);
    if (missing.length > 0) violations.push(`the device that was offline never gets ${missing.join(", ")}`);

    // A fresh device gets the whole conversation, each message once, in seq order = the order sent.
    const fresh = await device(bob.token, "pc");
    const history = [...fresh.arrivals].filter((a) => a.via === "sync").map((a) => a.message);
    const got = history.map((m) => `${m.content}@${m.seq}`);
    const sent = acked.map((a) => a.content);
    if (history.map((m) => m.content).join() !== sent.join())
      violations.push(`a fresh device syncs ${got.join(" ")}; sent ${sent.join(" ")}`);
    for (let i = 1; i < history.length; i++) {
      const [previous, current] = [history[i - 1], history[i]];
      if (previous && current && current.seq <= previous.seq) violations.push(`fresh device: seq ${current.seq} after ${previous.seq}`);
    }
    assert.deepEqual(violations, []);
  });
});
