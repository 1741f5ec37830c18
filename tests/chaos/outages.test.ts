// Issue 10, item 1g and section 4: Redis, and separately the database, unreachable for 5 s while clients
// send through the SDK. The gateway reaches Redis and FerretDB through fault-injecting proxies that refuse
// every connection (and cut the open ones) for 5 s. The app is the SDK (libs/client): every message it
// asked to send must end acknowledged and delivered once the dependency is back.
import assert from "node:assert/strict";
import { after, afterEach, before, beforeEach, describe, it } from "node:test";
import { ImClient, ImError } from "@im/client";
import type { DeliveredMessage, Receipt } from "@im/protocol";
import { freePort, TcpProxy } from "@im/testing";
import { MongoClient } from "mongodb";
import { allStoredCopies, copiesOf, duplicateSeqs, outOfOrder, startGatewayAt, startStackOn, waitFor, within } from "../support/chaos.js";
import { ApiClient } from "../support/client.js";
import type { GatewayProcess } from "../support/realtime.js";
import type { TestStack } from "../support/stack.js";
import { registerUser, type TestUser } from "../support/users.js";

const OUTAGE_MS = 5_000;

describe("chaos: Redis or the database unreachable for 5 s while clients send", { timeout: 300_000 }, () => {
  let stack: TestStack;
  let redisProxy: TcpProxy;
  let mongoProxy: TcpProxy;
  let gateway: GatewayProcess;
  const clients: ImClient[] = [];
  before(async () => {
    stack = await startStackOn({});
  });
  after(async () => {
    await stack?.stop();
  });
  // Each case gets its own gateway behind its own proxies, so no case inherits another's damage.
  beforeEach(async () => {
    redisProxy = await TcpProxy.start({ targetPort: stack.redis.port });
    mongoProxy = await TcpProxy.start({ targetPort: stack.mongo.port, protocol: "mongodb" });
    gateway = await startGatewayAt(stack, "gw1", await freePort(), {
      REDIS_URL: redisProxy.url("redis"),
      MONGO_URL: mongoProxy.url("mongodb", "/im_test"),
    });
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await gateway?.process.stop();
    await redisProxy?.stop();
    await mongoProxy?.stop();
  });

  async function app(user: TestUser): Promise<{ client: ImClient; inbox: DeliveredMessage[] }> {
    const client = new ImClient({ url: gateway.url, token: user.token, receiptTimeouts: { text: 4_000, media: 4_000 }, maxAttempts: 30 });
    clients.push(client);
    const inbox: DeliveredMessage[] = [];
    client.on("message", (message) => inbox.push(message));
    await client.connect();
    return { client, inbox };
  }

  /**
   * Three senders each send one message every 150 ms for 7.5 s to one recipient, with `outage` starting
   * after 1.5 s; returns every broken guarantee.
   */
  async function sendThrough(label: string, outage: () => Promise<void>): Promise<string[]> {
    const api = new ApiClient(stack.api.url);
    const bob = await registerUser(stack, api);
    const recipient = await app(bob);
    const senders = await Promise.all([1, 2, 3].map(async () => app(await registerUser(stack, api))));

    const sends: Array<{ content: string; outcome: Promise<Receipt> }> = [];
    let window: Promise<void> | undefined;
    for (let i = 0; i < 50; i++) {
      if (i === 10) window = outage();
      senders.forEach((sender, s) => {
        const content = `${label}-s${s}-${i}`;
        const outcome = sender.client.send({ chatType: 1, to: String(bob.userId), type: 1, content });
        outcome.catch(() => {}); // read below
        sends.push({ content, outcome });
      });
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    await window;
    // Every send settles: the SDK either gets a receipt or gives up (bounded: 30 attempts of 4 s at most).
    const settled = await within(Promise.allSettled(sends.map((s) => s.outcome)), 40_000);
    const violations: string[] = [];
    if (!settled) {
      // Diagnostics: is the database itself answering (directly, not through the proxy), and does the
      // gateway still talk to it through the proxy?
      const started = Date.now();
      const direct = await within(stack.api.deps.models.users.countDocuments({}).exec(), 5_000);
      const viaProxy = new MongoClient(mongoProxy.url("mongodb", "/im_test"), { directConnection: true, serverSelectionTimeoutMS: 3_000 });
      const proxyAnswers = await viaProxy
        .db("im_test")
        .command({ ping: 1 })
        .then(
          () => "yes",
          (error: Error) => `no (${error.name})`,
        );
      await viaProxy.close();
      const pending = (
        await Promise.all(
          sends.map((s) =>
            within(
              s.outcome.then(
                () => false,
                () => false,
              ),
              1,
            ),
          ),
        )
      ).filter((v) => v === undefined).length;
      return [
        `${label}: ${pending} of ${sends.length} sends still unsettled 40 s after the outage (database answers directly: ${direct === undefined ? "no" : `yes, in ${Date.now() - started} ms`}; a new client through the same proxy: ${proxyAnswers}; connections through the proxies: redis ${redisProxy.accepted} accepted/${redisProxy.openConnections} open, mongodb ${mongoProxy.accepted}/${mongoProxy.openConnections})`,
      ];
    }

    const acked: Array<{ content: string; receipt: Receipt }> = [];
    const finalErrors = new Map<string, string[]>();
    settled.forEach((result, i) => {
      const content = sends[i]?.content ?? "?";
      if (result.status === "fulfilled") acked.push({ content, receipt: result.value });
      else {
        const key = result.reason instanceof ImError ? result.reason.body.error.key : String(result.reason);
        finalErrors.set(key, [...(finalErrors.get(key) ?? []), content]);
      }
    });
    for (const [key, contents] of finalErrors) {
      violations.push(
        `${contents.length} of ${sends.length} messages lost to the app, the error treated as final: ${key} (${contents.slice(0, 3).join(", ")}…)`,
      );
    }

    const delivered = await waitFor(() => acked.every((a) => recipient.inbox.some((m) => m.messageId === a.receipt.messageId)), 20_000);
    if (!delivered) {
      const missing = acked.filter((a) => !recipient.inbox.some((m) => m.messageId === a.receipt.messageId)).map((a) => a.content);
      violations.push(`${missing.length} acknowledged messages never reached the recipient's app: ${missing.slice(0, 5).join(", ")}`);
    }
    const ids = recipient.inbox.map((m) => m.messageId);
    if (new Set(ids).size !== ids.length) violations.push(`${ids.length - new Set(ids).size} messages reached the recipient's app twice`);
    const disorder = outOfOrder(recipient.inbox);
    if (disorder.length > 0) violations.push(`${disorder.length} out-of-order deliveries to the app: ${disorder.slice(0, 3).join("; ")}`);
    // A receipt means every copy is stored: the sender's and the recipient's.
    const stored = await allStoredCopies(stack);
    const unstored = acked.filter((a) => copiesOf(stored, a.receipt.messageId).length !== 2).map((a) => a.content);
    if (unstored.length > 0)
      violations.push(`${unstored.length} acknowledged messages without both copies stored: ${unstored.slice(0, 5).join(", ")}`);
    // Another device of the recipient, new, gets every acknowledged message by sync alone.
    const fresh = await app(bob);
    const neverSynced = acked.filter((a) => !fresh.inbox.some((m) => m.messageId === a.receipt.messageId)).map((a) => a.content);
    if (neverSynced.length > 0)
      violations.push(
        `${neverSynced.length} acknowledged messages a fresh device of the recipient never gets: ${neverSynced.slice(0, 5).join(", ")}`,
      );
    const duplicates = duplicateSeqs(await allStoredCopies(stack));
    if (duplicates.length > 0) violations.push(`seqs stored twice: ${duplicates.slice(0, 3).join("; ")}`);
    return violations;
  }

  // "Unreachable" two ways: the port refuses (a stopped server) and silence (a network partition).
  for (const [what, how, ms] of [
    ["Redis", "refused", OUTAGE_MS],
    ["Redis", "silent", OUTAGE_MS],
    ["the database", "refused", OUTAGE_MS],
    ["the database", "silent", OUTAGE_MS],
  ] as const) {
    it(`${what} unreachable (${how}) for ${ms / 1000} s: no message lost to the app, every acknowledged one delivered once, in order`, async () => {
      const proxy = what === "Redis" ? redisProxy : mongoProxy;
      const label = `${what === "Redis" ? "redis" : "db"}-${how}-${ms}`;
      const unreachable = () => (how === "refused" ? proxy.refuse(ms) : proxy.blackhole(ms));
      // The database goes away in the middle of a send: the outage starts by cutting the connection that
      // carries the next message insert (msgs_*), before it runs.
      const outage =
        what === "Redis"
          ? unreachable
          : async () => {
              await proxy.onCommand({ command: "insert", collection: /^msgs_/, action: "cut" }).matched;
              await unreachable();
            };
      assert.deepEqual(await sendThrough(label, outage), []);
    });
  }
});
