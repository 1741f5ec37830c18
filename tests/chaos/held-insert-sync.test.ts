// Issue 10, item 1c and section 4: an insert held 3 s while another device syncs. The gateway talks to
// FerretDB through a proxy that holds the first message insert (msgs_*) for 3 s; meanwhile the sender's
// other device sends the next message, and one of the recipient's devices syncs and goes offline. Clients
// are raw socket.io-client, written from docs/messaging.md alone (cursor: the answer's nextCursor when
// present, else the last synced seq).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { TcpProxy } from "@im/testing";
import {
  allStoredCopies,
  duplicateSeqs,
  type ProxiedDbWorld,
  RawClient,
  type SendOutcome,
  startProxiedDbWorld,
  textTo,
} from "../support/chaos.js";
import { ApiClient } from "../support/client.js";
import type { GatewayProcess } from "../support/realtime.js";
import type { TestStack } from "../support/stack.js";
import { registerUser } from "../support/users.js";

const HOLD_MS = 3_000;

describe("chaos: an insert held while another device syncs", { timeout: 90_000 }, () => {
  let world: ProxiedDbWorld;
  let stack: TestStack;
  let proxy: TcpProxy;
  let gateway: GatewayProcess;
  let clients: RawClient[];
  before(async () => {
    world = await startProxiedDbWorld();
    ({ stack, proxy, gateway, clients } = world);
  });
  after(() => world?.stop());

  const device = async (token: string, resource: string, cursors: Record<string, number> = {}) => {
    const client = new RawClient(gateway.url, token, { resource, cursors });
    clients.push(client);
    await client.connect();
    return client;
  };

  it("never moves a syncing device's cursor past the held seq, and the device ends with every message", async (t) => {
    const api = new ApiClient(stack.api.url);
    const alice = await registerUser(stack, api);
    const bob = await registerUser(stack, api);
    const conversationId = `s_${Math.min(alice.userId, bob.userId)}_${Math.max(alice.userId, bob.userId)}`;
    const phone = await device(alice.token, "android");
    const laptop = await device(alice.token, "pc");

    const m1 = await phone.send(textTo(bob.userId, "m1"));
    assert.ok(m1.ok, `harness: m1 acknowledged (${JSON.stringify(m1)})`);
    // Bob's tablet has m1, then goes offline.
    const tablet = await device(bob.token, "web");
    assert.equal(tablet.cursors[conversationId], 1, "harness: the tablet synced m1");
    tablet.disconnect();

    const fault = proxy.onCommand({ command: "insert", collection: /^msgs_/, action: { holdMs: HOLD_MS } });
    let releasedAt = Number.POSITIVE_INFINITY;
    void fault.done.then(() => {
      releasedAt = Date.now();
    });
    const m2Message = textTo(bob.userId, "m2");
    const m2Outcome: Promise<SendOutcome> = phone.send(m2Message, 15_000);
    await fault.matched; // m2 has its seq and its first copy is on the wire, held
    const m3 = await laptop.send(textTo(bob.userId, "m3"), 10_000);
    assert.ok(m3.ok, `harness: m3 acknowledged while m2 is held (${JSON.stringify(m3)})`);
    if (Date.now() >= releasedAt) t.diagnostic("m3 was acknowledged only after m2's hold ended");

    // The tablet comes online in that window, syncs as the docs say, and goes offline again.
    const during = await device(bob.token, "web", tablet.cursors);
    const syncedAt = Date.now();
    during.disconnect();

    const m2 = await m2Outcome;
    assert.ok(m2.ok, `harness: m2 acknowledged after the hold (${JSON.stringify(m2)})`);
    await fault.done;
    const heldSeq = m2.receipt.seq;

    const violations: string[] = [];
    // Cursor entries stored before m2 was stored must stay below its seq.
    const early = during.cursorLog.filter((c) => c.conversationId === conversationId && c.at < releasedAt && c.cursor >= heldSeq);
    if (early.length > 0) {
      violations.push(`cursor moved to ${early.map((c) => c.cursor).join(",")} while seq ${heldSeq} was still being written`);
    }
    if (syncedAt >= releasedAt) t.diagnostic("the sync finished only after the hold ended (it waited for the in-flight write)");

    // Back online later with the cursors it stored: the device must end with m1, m2, m3.
    const after_ = await device(bob.token, "web", during.cursors);
    const has = (id: string) => [tablet, during, after_].some((d) => d.messages.has(id));
    if (!has(m2Message.messageId)) violations.push(`the device never gets m2@${heldSeq} (its cursor: ${during.cursors[conversationId]})`);
    if (!has(m3.receipt.messageId)) violations.push("the device never gets m3");

    const duplicates = duplicateSeqs(await allStoredCopies(stack));
    if (duplicates.length > 0) violations.push(`seqs stored twice: ${duplicates.join("; ")}`);
    assert.deepEqual(violations, []);
  });
});
