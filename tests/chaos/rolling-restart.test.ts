// Issue 10, item 1c and section 4: a rolling restart of two gateways during a room burst. Twenty members of
// one room chat through the ingress (a TCP balancer in front of both gateways) with the SDK as their app;
// gateway 1 is stopped gracefully (SIGTERM) and started again on its port, then gateway 2. What the SDK
// hands to each app is counted.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ImClient, ImError } from "@im/client";
import type { DeliveredMessage, Receipt } from "@im/protocol";
import { freePort } from "@im/testing";
import { allStoredCopies, duplicateSeqs, outOfOrder, startGatewayAt, startStackOn, waitFor, within } from "../support/chaos.js";
import { ApiClient } from "../support/client.js";
import type { GatewayProcess } from "../support/realtime.js";
import { Rooms } from "../support/rooms.js";
import type { TestStack } from "../support/stack.js";
import { TcpBalancer } from "../support/tcp-balancer.js";

const MEMBERS = 20;

describe("chaos: rolling restart of two gateways during a room burst", { timeout: 180_000 }, () => {
  let stack: TestStack;
  let ports: [number, number];
  const gateways: GatewayProcess[] = [];
  let balancer: TcpBalancer;
  const clients: ImClient[] = [];
  before(async () => {
    stack = await startStackOn({});
    ports = [await freePort(), await freePort()];
    gateways.push(...(await Promise.all(ports.map((port, i) => startGatewayAt(stack, `gw${i + 1}`, port)))));
    balancer = new TcpBalancer(ports);
    await balancer.start();
  });
  after(async () => {
    for (const client of clients) client.close();
    await balancer?.stop();
    await Promise.all(gateways.map((g) => g.process.stop()));
    await stack?.stop();
  });

  it("delivers every acknowledged message to every member's app exactly once, in seq order", async (t) => {
    const rooms = new Rooms(stack, new ApiClient(stack.api.url));
    const users = await rooms.users(MEMBERS);
    const [owner, ...others] = users;
    const roomId = await rooms.room(owner, others);
    const conversationId = `g_${roomId}`;

    const members = await Promise.all(
      users.map(async (user) => {
        const client = new ImClient({
          url: `http://127.0.0.1:${balancer.port}`,
          token: user.token,
          resource: "android",
          receiptTimeouts: { text: 3_000, media: 3_000 },
          maxAttempts: 40,
        });
        clients.push(client);
        const inbox: DeliveredMessage[] = [];
        client.on("message", (message) => {
          if (message.conversationId === conversationId) inbox.push(message);
        });
        await client.connect();
        return { user, client, inbox };
      }),
    );

    const sends: Array<{ from: number; content: string; outcome: Promise<Receipt> }> = [];
    let restarting = true;
    let round = 0;
    const burst = (async () => {
      // One message per member per second until both restarts are done, and two rounds after.
      for (let after = 0; after < 2; round++) {
        members.forEach(({ user, client }, m) => {
          const content = `m${m}-r${round}`;
          const outcome = client.send({ chatType: 2, to: roomId, type: 1, content });
          outcome.catch(() => {}); // read below
          sends.push({ from: user.userId, content, outcome });
        });
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        if (!restarting) after += 1;
      }
    })();

    await new Promise((resolve) => setTimeout(resolve, 2_000));
    for (const [i, port] of ports.entries()) {
      const old = gateways[i];
      assert.ok(old, "harness: gateway exists");
      await old.process.stop(); // SIGTERM: graceful
      gateways[i] = await startGatewayAt(stack, `gw${i + 1}`, port);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    restarting = false;
    await burst;

    const settled = await within(Promise.allSettled(sends.map((s) => s.outcome)), 60_000);
    assert.ok(settled, "harness: every send settled within 60 s");
    const violations: string[] = [];
    const acked: Array<{ from: number; content: string; receipt: Receipt }> = [];
    const lost = new Map<string, number>();
    settled.forEach((result, i) => {
      const send = sends[i];
      if (!send) return;
      if (result.status === "fulfilled") acked.push({ from: send.from, content: send.content, receipt: result.value });
      else {
        const key = result.reason instanceof ImError ? result.reason.body.error.key : String(result.reason);
        lost.set(key, (lost.get(key) ?? 0) + 1);
      }
    });
    for (const [key, count] of lost)
      violations.push(`${count} of ${sends.length} messages lost to the app, the error treated as final: ${key}`);

    const missingOf = (member: (typeof members)[number]) =>
      acked.filter((a) => a.from !== member.user.userId && !member.inbox.some((m) => m.messageId === a.receipt.messageId));
    await waitFor(() => members.every((member) => missingOf(member).length === 0), 30_000);
    let missing = 0;
    let twice = 0;
    const disorder: string[] = [];
    for (const member of members) {
      missing += missingOf(member).length;
      const ids = member.inbox.map((m) => m.messageId);
      twice += ids.length - new Set(ids).size;
      const own = (m: DeliveredMessage) => (m.fromUserId === member.user.userId ? " (own message)" : "");
      disorder.push(...outOfOrder(member.inbox).map((d) => `user ${member.user.userId} ${d}`));
      // Which ones: each out-of-order message with how it came and whose it was (diagnostics only).
      for (const [i, m] of member.inbox.entries()) {
        const previous = member.inbox.slice(0, i).reduce((max, p) => Math.max(max, p.seq), 0);
        if (m.seq <= previous) t.diagnostic(`user ${member.user.userId}: seq ${m.seq} after ${previous}${own(m)} from ${m.fromUserId}`);
      }
    }
    if (missing > 0) violations.push(`${missing} (member, acknowledged message) pairs never reached the member's app`);
    if (twice > 0) violations.push(`${twice} messages handed to an app twice`);
    if (disorder.length > 0)
      violations.push(`${disorder.length} out-of-order deliveries to the app, e.g. ${disorder.slice(0, 3).join("; ")}`);
    // A new device of one member gets the whole burst by sync alone.
    const fresh = new ImClient({ url: `http://127.0.0.1:${balancer.port}`, token: owner.token, resource: "pc" });
    clients.push(fresh);
    const synced = new Set<string>();
    fresh.on("message", (message) => synced.add(message.messageId));
    await fresh.connect();
    const neverSynced = acked.filter((a) => !synced.has(a.receipt.messageId)).length;
    if (neverSynced > 0) violations.push(`${neverSynced} acknowledged messages a fresh device never gets by sync`);
    const duplicates = duplicateSeqs(await allStoredCopies(stack));
    if (duplicates.length > 0) violations.push(`${duplicates.length} seqs stored twice, e.g. ${duplicates.slice(0, 2).join("; ")}`);
    assert.ok(acked.length > MEMBERS * 5, `harness: the burst went on (${acked.length} acknowledged of ${sends.length})`);
    assert.deepEqual(violations, []);
  });
});
