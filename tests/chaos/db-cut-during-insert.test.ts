// Issue 10, item 1a and section 4: a database connection cut during a message insert. The gateway talks to
// FerretDB through a fault-injecting proxy that cuts the connection carrying the first insert into a
// message collection (msgs_*). Clients are raw socket.io-client, written from docs/messaging.md alone.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { CommandAction, TcpProxy } from "@im/testing";
import {
  allStoredCopies,
  copiesOf,
  duplicateSeqs,
  type ProxiedDbWorld,
  RawClient,
  startProxiedDbWorld,
  textTo,
  waitFor,
} from "../support/chaos.js";
import { ApiClient } from "../support/client.js";
import type { GatewayProcess } from "../support/realtime.js";
import type { TestStack } from "../support/stack.js";
import { registerUser, type TestUser } from "../support/users.js";

describe("chaos: database connection cut during a message insert", { timeout: 90_000 }, () => {
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

  async function device(user: TestUser, resource = "web", cursors: Record<string, number> = {}): Promise<RawClient> {
    const client = new RawClient(gateway.url, user.token, { resource, cursors });
    clients.push(client);
    await client.connect();
    return client;
  }

  /**
   * Sends one message whose first msgs_* insert meets `action`; returns every broken guarantee as text, so
   * one failure shows them all.
   */
  async function sendThroughFault(action: CommandAction, label: string): Promise<string[]> {
    const api = new ApiClient(stack.api.url);
    const alice = await registerUser(stack, api);
    const bob = await registerUser(stack, api);
    const sender = await device(alice);
    const recipient = await device(bob);
    const warmUp = await sender.send(textTo(bob.userId, `${label}-m1`));
    assert.equal(warmUp.ok, true, `harness: the warm-up send works (${JSON.stringify(warmUp)})`);

    const violations: string[] = [];
    const fault = proxy.onCommand({ command: "insert", collection: /^msgs_/, action });
    const message = textTo(bob.userId, `${label}-m2`);
    const first = await sender.send(message, 10_000);
    await fault.matched;
    assert.equal(fault.hits, 1, "harness: the fault hit the first message insert");
    if (first.ok) {
      // A receipt is a promise that every copy needed for delivery is stored.
      const copies = copiesOf(await allStoredCopies(stack), message.messageId);
      if (copies.join() !== [`${alice.userId}:1`, `${bob.userId}:1`].sort().join()) {
        violations.push(`receipt {ok: true, seq: ${first.receipt.seq}} for a message stored only as [${copies.join(", ")}] (owner:copies)`);
      }
    }
    // A docs client resends what has no receipt, with the same messageId.
    const resent = first.ok ? { receipt: first.receipt, failures: [] } : await sender.sendUntilAcknowledged(message);
    if (!resent.receipt) violations.push(`never acknowledged after resending: ${JSON.stringify(resent.failures.at(-1))}`);

    const copies = copiesOf(await allStoredCopies(stack), message.messageId);
    const expected = [`${alice.userId}:1`, `${bob.userId}:1`].sort();
    if (copies.join() !== expected.join())
      violations.push(`stored copies [${copies.join(", ")}], expected exactly [${expected.join(", ")}]`);

    // The recipient gets it live, or by sync (its next sync, and a fresh device's).
    const live = await waitFor(() => recipient.messages.has(message.messageId), 5_000);
    if (!live) {
      await recipient.sync();
      if (!recipient.messages.has(message.messageId)) violations.push("the online recipient device never got it, live or by sync");
    }
    const fresh = await device(bob, "android");
    if (!fresh.messages.has(message.messageId)) violations.push("a fresh device of the recipient does not get it by sync");
    const seqs = [...fresh.messages.values()].map((m) => m.seq);
    if (new Set(seqs).size !== seqs.length) violations.push(`the fresh device got seqs ${seqs.join(",")}`);

    const duplicates = duplicateSeqs(await allStoredCopies(stack));
    if (duplicates.length > 0) violations.push(`seqs stored twice: ${duplicates.join("; ")}`);
    return violations;
  }

  it("cut before the insert runs: no receipt until stored, the resend stores it once, the recipient gets it", async () => {
    assert.deepEqual(await sendThroughFault("cut", "cut"), []);
  });

  it("cut after the insert ran (its reply lost): the resend stores nothing twice, the recipient gets it", async () => {
    assert.deepEqual(await sendThroughFault("cut-before-reply", "reply-lost"), []);
  });
});
