import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import type { PushProvider } from "@im/push";
import { type FcmServer, startFcmServer } from "@im/testing";
import { caFile, MINUTE, notification, oneProvider, type TestClock, target, testClock } from "./providers-helpers.js";

interface World {
  fcm: FcmServer;
  provider: PushProvider;
  clock: TestClock;
}

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const cleanup of cleanups) await cleanup();
});

async function world(options: { retries?: number; account?: Record<string, unknown> } = {}): Promise<World> {
  const clock = testClock();
  const fcm = await startFcmServer({ now: clock.now, projectId: "im-fcm-test" });
  const ca = await caFile(fcm.ca);
  const provider = oneProvider(
    {
      PUSH_FCM_SERVICE_ACCOUNT: JSON.stringify(options.account ?? fcm.account),
      PUSH_FCM_URL: fcm.url,
      PUSH_CA_FILE: ca.path,
      PUSH_PROVIDER_RETRIES: String(options.retries ?? 3),
    },
    clock,
  );
  cleanups.push(async () => {
    await provider.close();
    await fcm.stop();
    await ca.cleanup();
  });
  return { fcm, provider, clock };
}

const messageOf = (fcm: FcmServer, index: number) =>
  (fcm.requests[index]?.body as { message: Record<string, unknown> } | undefined)?.message ?? {};

describe("FCM HTTP v1 client against a local FCM", () => {
  it("exchanges a verified RS256 assertion for a token and sends an alert with android priority, ttl and collapse key", async () => {
    const { fcm, provider, clock } = await world();
    const sent = notification(clock);
    const outcome = await provider.send(target("fcm", "fcm-token-1"), sent);
    assert.equal(outcome.status, "sent");
    assert.match(outcome.status === "sent" ? (outcome.providerId ?? "") : "", /^projects\/im-fcm-test\/messages\//);
    assert.equal(fcm.tokenRequests.length, 1);
    const claims = fcm.tokenRequests[0]?.claims;
    assert.ok(claims, "the fake verified the assertion");
    assert.equal(claims.iss, fcm.account.client_email);
    assert.equal(claims.aud, fcm.tokenUri);
    assert.equal(claims.scope, "https://www.googleapis.com/auth/firebase.messaging");
    assert.equal(claims.exp - claims.iat, 3600);
    assert.equal(fcm.requests[0]?.accessToken, fcm.tokenRequests[0]?.accessToken);
    assert.deepEqual(messageOf(fcm, 0), {
      token: "fcm-token-1",
      notification: { title: "Alice", body: "see you at eight" },
      data: sent.data,
      android: {
        priority: "HIGH",
        ttl: "60s",
        collapse_key: sent.collapseId,
        notification: { tag: sent.collapseId, notification_count: 3 },
      },
    });
  });

  it("sends normal priority as NORMAL and the ttl left until expiresAt", async () => {
    const { fcm, provider, clock } = await world();
    await provider.send(target("fcm", "t"), notification(clock, { priority: "normal", expiresAt: clock.now() + 86_400_000 }));
    assert.deepEqual((messageOf(fcm, 0).android as { priority: string; ttl: string }).priority, "NORMAL");
    assert.deepEqual((messageOf(fcm, 0).android as { priority: string; ttl: string }).ttl, "86400s");
  });

  it("sends call invites and cancellations as data-only HIGH priority messages", async () => {
    const { fcm, provider, clock } = await world();
    for (const kind of ["call", "call-cancel"] as const) {
      const sent = notification(clock, { kind, title: "Alice", body: "Video call", badge: undefined, priority: "high" });
      assert.equal((await provider.send(target("fcm", `t-${kind}`), sent)).status, "sent");
    }
    for (const index of [0, 1]) {
      const message = messageOf(fcm, index);
      assert.equal(message.notification, undefined);
      assert.deepEqual(message.android, { priority: "HIGH", ttl: "60s" });
      assert.equal((message.data as Record<string, string>).title, "Alice");
      assert.equal((message.data as Record<string, string>).body, "Video call");
    }
  });

  it("reuses the access token and fetches a new one 5 minutes before it expires", async () => {
    const { fcm, provider, clock } = await world();
    const send = () => provider.send(target("fcm", "t"), notification(clock));
    await send();
    clock.advance(54 * MINUTE);
    await send();
    assert.equal(fcm.tokenRequests.length, 1, "still cached at 54 minutes (token lives 3599 s)");
    clock.advance(MINUTE);
    await send();
    assert.equal(fcm.tokenRequests.length, 2, "refreshed at 55 minutes");
    assert.ok(fcm.requests.every((request) => request.status === 200));
    assert.equal(fcm.requests[2]?.accessToken, fcm.tokenRequests[1]?.accessToken);
  });

  it("drops a refused access token (401), fetches another and sends again once", async () => {
    const { fcm, provider, clock } = await world();
    await provider.send(target("fcm", "t"), notification(clock));
    fcm.script.next({ status: 401, errorCode: "UNAUTHENTICATED" });
    const outcome = await provider.send(target("fcm", "t"), notification(clock));
    assert.deepEqual(outcome.status, "sent");
    assert.equal(outcome.attempts, 1);
    assert.equal(fcm.tokenRequests.length, 2);
    fcm.script.next({ status: 401, errorCode: "UNAUTHENTICATED" }, { status: 401, errorCode: "UNAUTHENTICATED" });
    assert.deepEqual(await provider.send(target("fcm", "t"), notification(clock)), {
      status: "failed",
      reason: "UNAUTHENTICATED",
      attempts: 1,
    });
  });

  it("prunes on UNREGISTERED and on an INVALID_ARGUMENT about the token, not on other refusals", async () => {
    const { fcm, provider, clock } = await world();
    fcm.script.forToken("gone", { status: 404, errorCode: "UNREGISTERED" });
    fcm.script.forToken("bad", { status: 400, errorCode: "INVALID_ARGUMENT", field: "message.token" });
    fcm.script.forToken("other-project", { status: 403, errorCode: "SENDER_ID_MISMATCH" });
    fcm.script.forToken("bad-field", { status: 400, errorCode: "INVALID_ARGUMENT", field: "message.android.ttl" });
    const send = (token: string) => provider.send(target("fcm", token), notification(clock));
    assert.deepEqual(await send("gone"), { status: "invalid-token", reason: "UNREGISTERED", attempts: 1 });
    assert.deepEqual(await send("bad"), { status: "invalid-token", reason: "INVALID_ARGUMENT: message.token", attempts: 1 });
    assert.deepEqual(await send("other-project"), { status: "failed", reason: "SENDER_ID_MISMATCH", attempts: 1 });
    assert.deepEqual(await send("bad-field"), { status: "failed", reason: "INVALID_ARGUMENT: message.android.ttl", attempts: 1 });
  });

  it("retries QUOTA_EXCEEDED after Retry-After and UNAVAILABLE with backoff, then gives up with retry", async () => {
    const { fcm, provider, clock } = await world({ retries: 2 });
    fcm.script.next({ status: 429, errorCode: "QUOTA_EXCEEDED", retryAfterSeconds: 1 });
    const outcome = await provider.send(target("fcm", "t"), notification(clock));
    assert.equal(outcome.status, "sent");
    assert.equal(outcome.attempts, 2);
    const [first, second] = fcm.requests;
    assert.ok(first && second && second.wallTime - first.wallTime >= 990, "waited Retry-After");
    fcm.script.next(...Array.from({ length: 3 }, () => ({ status: 503, errorCode: "UNAVAILABLE" })));
    assert.deepEqual(await provider.send(target("fcm", "t"), notification(clock)), { status: "retry", reason: "UNAVAILABLE", attempts: 3 });
    assert.equal(fcm.requests.length, 5);
  });

  it("fails without sending when the token route refuses the credentials, and retries when it is down", async () => {
    const { fcm, provider, clock } = await world({ retries: 1 });
    fcm.tokenScript.next({ status: 400 });
    const refused = await provider.send(target("fcm", "t"), notification(clock));
    assert.equal(refused.status, "failed");
    assert.match(refused.status === "failed" ? refused.reason : "", /token route answered 400/);
    fcm.tokenScript.next({ status: 503 }, { status: 503 });
    const down = await provider.send(target("fcm", "t"), notification(clock));
    assert.equal(down.status, "retry");
    assert.equal(fcm.requests.length, 0);
  });

  it("refuses an assertion signed by another key (the fake verifies it)", async () => {
    const other = await startFcmServer(); // only for its key pair
    const clock = testClock();
    const fcm = await startFcmServer({ now: clock.now });
    const ca = await caFile(fcm.ca);
    const provider = oneProvider(
      {
        PUSH_FCM_SERVICE_ACCOUNT: JSON.stringify({
          ...other.account,
          client_email: fcm.account.client_email,
          private_key_id: fcm.account.private_key_id,
        }),
        PUSH_FCM_URL: fcm.url,
        PUSH_FCM_TOKEN_URL: fcm.tokenUri,
        PUSH_CA_FILE: ca.path,
      },
      clock,
    );
    try {
      const outcome = await provider.send(target("fcm", "t"), notification(clock));
      assert.equal(outcome.status, "failed");
      assert.equal(fcm.tokenRequests[0]?.status, 400);
      assert.equal(fcm.requests.length, 0);
    } finally {
      await provider.close();
      await Promise.all([fcm.stop(), other.stop(), ca.cleanup()]);
    }
  });

  it("cuts a long body to keep the message within 4096 bytes and fails without a request when the data alone is too large", async () => {
    const { fcm, provider, clock } = await world();
    assert.equal((await provider.send(target("fcm", "t"), notification(clock, { body: "字".repeat(3000) }))).status, "sent");
    const { token: _token, ...rest } = messageOf(fcm, 0);
    const size = Buffer.byteLength(JSON.stringify(rest));
    assert.ok(size <= 4096 && size > 3900, `message ${size} bytes`);
    assert.ok((rest.notification as { body: string }).body.endsWith("…"));
    const huge = notification(clock, { data: { conversationId: "1", blob: "x".repeat(5000) } });
    assert.deepEqual(await provider.send(target("fcm", "t"), huge), { status: "failed", reason: "PayloadTooLarge", attempts: 0 });
    assert.equal(fcm.requests.length, 1);
  });
});
