import assert from "node:assert/strict";
import { type AddressInfo, connect, createServer, type Server, type Socket } from "node:net";
import { after, describe, it } from "node:test";
import { createApnsTestKey, startApnsServer, startFcmServer } from "@im/testing";
import { apnsToken, caFile, notification, oneProvider, target, testClock } from "./providers-helpers.js";

/**
 * A TCP relay whose open connections can be frozen: from then on their bytes are dropped silently both ways
 * (a NAT or load balancer that forgot the flow: no FIN, no RST), while new connections relay normally.
 */
class FreezableRelay {
  private readonly links = new Set<{ client: Socket; server: Socket; frozen: boolean }>();
  private constructor(private readonly server: Server) {}

  static async start(targetPort: number): Promise<FreezableRelay> {
    const relay: FreezableRelay = new FreezableRelay(
      createServer((client) => {
        const server = connect({ port: targetPort, host: "127.0.0.1" });
        const link = { client, server, frozen: false };
        relay.links.add(link);
        client.on("data", (chunk: Buffer) => link.frozen || server.write(chunk));
        server.on("data", (chunk: Buffer) => link.frozen || client.write(chunk));
        const close = () => {
          client.destroy();
          server.destroy();
          relay.links.delete(link);
        };
        for (const socket of [client, server]) socket.once("close", close).once("error", close);
      }),
    );
    await new Promise<void>((resolve) => relay.server.listen(0, "127.0.0.1", resolve));
    return relay;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Freezes every open connection; returns how many. */
  freeze(): number {
    for (const link of this.links) link.frozen = true;
    return this.links.size;
  }

  async stop(): Promise<void> {
    for (const link of this.links) {
      link.client.destroy();
      link.server.destroy();
    }
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const cleanups: Array<() => Promise<void>> = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

describe("provider connections that die silently (break-faults)", () => {
  it("APNs: after a request timed out on a connection gone silent, the next send opens a new connection", async () => {
    const clock = testClock();
    const key = createApnsTestKey();
    const apns = await startApnsServer({ teamId: key.teamId, keyId: key.keyId, publicKey: key.publicKey, now: clock.now });
    const relay = await FreezableRelay.start(Number(new URL(apns.url).port));
    const ca = await caFile(apns.ca);
    const provider = oneProvider(
      {
        PUSH_APNS_KEY: key.privateKey,
        PUSH_APNS_KEY_ID: key.keyId,
        PUSH_APNS_TEAM_ID: key.teamId,
        PUSH_APNS_URL: `https://127.0.0.1:${relay.port}`,
        PUSH_CA_FILE: ca.path,
        PUSH_PROVIDER_RETRIES: "0",
        PUSH_PROVIDER_TIMEOUT_MS: "500",
      },
      clock,
    );
    cleanups.push(async () => {
      await provider.close();
      await relay.stop();
      await apns.stop();
      await ca.cleanup();
    });
    const send = () => provider.send(target("apns", apnsToken()), notification(clock));
    assert.equal((await send()).status, "sent");
    assert.equal(relay.freeze(), 1, "one HTTP/2 connection, now silent");
    const cut = await send();
    assert.equal(cut.status, "retry", "the request on the silent connection timed out");
    const again = await send();
    assert.equal(again.status, "sent", `sent on a new connection (got ${JSON.stringify(again)})`);
    assert.equal(apns.requests.length, 2);
  });

  it("FCM: after a request timed out on a connection gone silent, the next send opens a new connection", async () => {
    const clock = testClock();
    const fcm = await startFcmServer({ now: clock.now, projectId: "im-fcm-test" });
    const relay = await FreezableRelay.start(Number(new URL(fcm.url).port));
    const ca = await caFile(fcm.ca);
    const provider = oneProvider(
      {
        PUSH_FCM_SERVICE_ACCOUNT: JSON.stringify(fcm.account),
        PUSH_FCM_URL: `https://127.0.0.1:${relay.port}`,
        PUSH_CA_FILE: ca.path,
        PUSH_PROVIDER_RETRIES: "0",
        PUSH_PROVIDER_TIMEOUT_MS: "500",
      },
      clock,
    );
    cleanups.push(async () => {
      await provider.close();
      await relay.stop();
      await fcm.stop();
      await ca.cleanup();
    });
    const send = () => provider.send(target("fcm", "fcm-token-frozen"), notification(clock));
    assert.equal((await send()).status, "sent");
    assert.ok(relay.freeze() >= 1);
    assert.equal((await send()).status, "retry", "the request on the silent connection timed out");
    const again = await send();
    assert.equal(again.status, "sent", `sent on a new connection (got ${JSON.stringify(again)})`);
  });

  it("APNs: a GOAWAY while requests are in flight — every notification is accepted once, on a new connection", async () => {
    const clock = testClock();
    const key = createApnsTestKey();
    const apns = await startApnsServer({ teamId: key.teamId, keyId: key.keyId, publicKey: key.publicKey, now: clock.now, delayMs: 50 });
    const ca = await caFile(apns.ca);
    const provider = oneProvider(
      {
        PUSH_APNS_KEY: key.privateKey,
        PUSH_APNS_KEY_ID: key.keyId,
        PUSH_APNS_TEAM_ID: key.teamId,
        PUSH_APNS_URL: apns.url,
        PUSH_CA_FILE: ca.path,
        PUSH_PROVIDER_RETRIES: "2",
      },
      clock,
    );
    cleanups.push(async () => {
      await provider.close();
      await apns.stop();
      await ca.cleanup();
    });
    const tokens = Array.from({ length: 20 }, () => apnsToken());
    const sends = tokens.map(async (token, index) => {
      await new Promise((resolve) => setTimeout(resolve, index * 10));
      return provider.send(target("apns", token), notification(clock));
    });
    while (apns.requests.length < 5) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(apns.goaway(), 1);
    const outcomes = await Promise.all(sends);
    assert.deepEqual(
      outcomes.map((outcome) => outcome.status),
      tokens.map(() => "sent"),
    );
    for (const token of tokens) {
      assert.equal(apns.requests.filter((r) => r.deviceToken === token && r.status === 200).length, 1, "accepted once");
    }
  });
});
