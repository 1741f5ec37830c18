// Faults during a media send, with a raw socket.io client written from the docs (tests/support/chaos.ts):
// the database connection cut at the grant insert and at the message insert. The receipt comes only once the
// message is stored; a resend with the same messageId and uploadId succeeds; the recipient may fetch it.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { canAccessUpload } from "@im/media";
import type { CommandAction, TcpProxy } from "@im/testing";
import { allStoredCopies, copiesOf, type ProxiedDbWorld, RawClient, startProxiedDbWorld } from "../support/chaos.js";
import { ApiClient } from "../support/client.js";
import type { GatewayProcess } from "../support/realtime.js";
import type { TestStack } from "../support/stack.js";
import { insertUpload } from "../support/upload-records.js";
import { registerUser } from "../support/users.js";

describe("attacks: faults during a media send", { timeout: 90_000 }, () => {
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

  async function sendThrough(collection: RegExp, action: CommandAction) {
    const api = new ApiClient(stack.api.url);
    const alice = await registerUser(stack, api);
    const bob = await registerUser(stack, api);
    const sender = new RawClient(gateway.url, alice.token, { resource: "web", cursors: {} });
    clients.push(sender);
    await sender.connect();
    const models = stack.api.deps.models;
    const warm = await sender.send({ messageId: crypto.randomUUID(), chatType: 1, to: String(bob.userId), type: 1, content: "hi" });
    assert.equal(warm.ok, true);
    const image = await insertUpload(models, { ownerId: alice.userId, kind: "image" });
    const message = { messageId: crypto.randomUUID(), chatType: 1, to: String(bob.userId), type: 2, content: "", uploadId: image };
    const fault = proxy.onCommand({ command: "insert", collection, action });
    const first = await sender.send(message, 10_000);
    await fault.matched;
    if (first.ok) {
      const copies = copiesOf(await allStoredCopies(stack), message.messageId);
      assert.equal(copies.length, 2, `a receipt before both copies were stored: ${copies.join()}`);
    }
    const resent = first.ok ? { receipt: first.receipt, failures: [] } : await sender.sendUntilAcknowledged(message);
    assert.ok(resent.receipt, `never acknowledged: ${JSON.stringify(resent.failures.at(-1))}`);
    assert.equal(copiesOf(await allStoredCopies(stack), message.messageId).length, 2);
    const grant = await models.mediaGrants.findById(`${resent.receipt.conversationId}:${message.messageId}`).lean();
    assert.equal(grant?.uploadId, image);
    const found = await models.uploads.findById(image).lean();
    assert.ok(found);
    assert.equal(await canAccessUpload({ models, messages: stack.api.deps.messages }, bob.userId, found), true);
  }

  it("cut at the grant insert", async () => {
    await sendThrough(/^media_grants$/, "cut");
  });
  it("grant stored, reply lost (as if the gateway died before storing the message)", async () => {
    await sendThrough(/^media_grants$/, "cut-before-reply");
  });
  it("cut at the message insert", async () => {
    await sendThrough(/^msgs_/, "cut");
  });
  it("message stored, reply lost", async () => {
    await sendThrough(/^msgs_/, "cut-before-reply");
  });
});
