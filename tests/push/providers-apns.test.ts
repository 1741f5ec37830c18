import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, describe, it } from "node:test";
import type { PushProvider } from "@im/push";
import { APNS_TOKEN_MIN_INTERVAL_MS } from "@im/push-app";
import { type ApnsServer, type ApnsTestKey, createApnsTestKey, startApnsServer } from "@im/testing";
import { apnsToken, caFile, MINUTE, notification, oneProvider, type TestClock, target, testClock } from "./providers-helpers.js";

interface World {
  apns: ApnsServer;
  sandbox: ApnsServer;
  provider: PushProvider;
  clock: TestClock;
  key: ApnsTestKey;
  close(): Promise<void>;
}

const worlds: World[] = [];
after(async () => {
  for (const world of worlds) await world.close();
});

/** A production and a sandbox APNs fake and a client trusting them, on one test clock. */
async function world(options: { retries?: number; key?: ApnsTestKey; clientKey?: ApnsTestKey; maxWaitMs?: number } = {}): Promise<World> {
  const clock = testClock();
  const key = options.key ?? createApnsTestKey();
  const topics = ["com.example.im", "com.example.im.voip"];
  const apns = await startApnsServer({ teamId: key.teamId, keyId: key.keyId, publicKey: key.publicKey, topics, now: clock.now });
  const sandbox = await startApnsServer({ teamId: key.teamId, keyId: key.keyId, publicKey: key.publicKey, topics, now: clock.now });
  const ca = await caFile(apns.ca);
  const clientKey = options.clientKey ?? key;
  const provider = oneProvider(
    {
      PUSH_APNS_KEY: clientKey.privateKey,
      PUSH_APNS_KEY_ID: key.keyId,
      PUSH_APNS_TEAM_ID: key.teamId,
      PUSH_APNS_URL: apns.url,
      PUSH_APNS_SANDBOX_URL: sandbox.url,
      PUSH_CA_FILE: ca.path,
      PUSH_PROVIDER_RETRIES: String(options.retries ?? 3),
    },
    clock,
    options.maxWaitMs === undefined ? {} : { maxWaitMs: options.maxWaitMs },
  );
  const created: World = {
    apns,
    sandbox,
    provider,
    clock,
    key,
    async close() {
      await provider.close();
      await Promise.all([apns.stop(), sandbox.stop(), ca.cleanup()]);
    },
  };
  worlds.push(created);
  return created;
}

describe("APNs client against a local HTTP/2 APNs", () => {
  it("sends an alert with the verified ES256 token, topic, push type, priority, expiration and collapse id", async () => {
    const { apns, sandbox, provider, clock, key } = await world();
    const token = apnsToken();
    const sent = notification(clock);
    const outcome = await provider.send(target("apns", token), sent);
    assert.equal(outcome.status, "sent");
    assert.equal(outcome.attempts, 1);
    assert.equal(apns.requests.length, 1);
    assert.equal(sandbox.requests.length, 0);
    const request = apns.requests[0];
    assert.ok(request);
    assert.equal(outcome.status === "sent" && outcome.providerId !== undefined, true);
    assert.equal(request.status, 200);
    assert.equal(request.deviceToken, token);
    assert.equal(request.jwt?.kid, key.keyId);
    assert.equal(request.jwt?.iss, key.teamId);
    assert.equal(request.jwt?.iat, Math.floor(clock.now() / 1000));
    assert.equal(request.headers["apns-push-type"], "alert");
    assert.equal(request.headers["apns-topic"], "com.example.im");
    assert.equal(request.headers["apns-priority"], "10");
    assert.equal(request.headers["apns-expiration"], String(Math.floor(sent.expiresAt / 1000)));
    assert.equal(request.headers["apns-collapse-id"], sent.collapseId);
    assert.deepEqual(request.payload, {
      aps: { alert: { title: "Alice", body: "see you at eight" }, badge: 3, sound: "default", "thread-id": sent.collapseId },
      ...sent.data,
    });
  });

  it("sends sandbox devices to the sandbox host and normal priority as apns-priority 5", async () => {
    const { apns, sandbox, provider, clock } = await world();
    const outcome = await provider.send(
      target("apns", apnsToken(), { environment: "sandbox" }),
      notification(clock, { priority: "normal" }),
    );
    assert.equal(outcome.status, "sent");
    assert.equal(apns.requests.length, 0);
    assert.equal(sandbox.requests[0]?.headers["apns-priority"], "5");
  });

  it("sends call invites and cancellations to VoIP tokens as push type voip on <bundle>.voip, priority 10, no collapse id", async () => {
    const { apns, provider, clock } = await world();
    const call = notification(clock, { kind: "call", title: "Alice", body: "Voice call", badge: undefined });
    const cancel = notification(clock, { kind: "call-cancel", title: "", body: "", badge: undefined });
    assert.equal((await provider.send(target("apns-voip", apnsToken()), call)).status, "sent");
    assert.equal((await provider.send(target("apns-voip", apnsToken(), { appId: "com.example.im.voip" }), cancel)).status, "sent");
    for (const request of apns.requests) {
      assert.equal(request.status, 200);
      assert.equal(request.headers["apns-push-type"], "voip");
      assert.equal(request.headers["apns-topic"], "com.example.im.voip");
      assert.equal(request.headers["apns-priority"], "10");
      assert.equal(request.headers["apns-collapse-id"], undefined);
    }
    assert.deepEqual(apns.requests[0]?.payload, { aps: {}, ...call.data, title: "Alice", body: "Voice call" });
  });

  it("cancels a call on a device without a VoIP token by a background push (priority 5, content-available), and refuses an alert to a VoIP token", async () => {
    const { apns, provider, clock } = await world();
    const cancel = notification(clock, { kind: "call-cancel", title: "", body: "", badge: undefined });
    assert.equal((await provider.send(target("apns", apnsToken()), cancel)).status, "sent");
    const request = apns.requests[0];
    assert.equal(request?.headers["apns-push-type"], "background");
    assert.equal(request?.headers["apns-priority"], "5");
    assert.deepEqual(request?.payload, { aps: { "content-available": 1 }, ...cancel.data });
    const refused = await provider.send(target("apns-voip", apnsToken()), notification(clock));
    assert.deepEqual(refused, { status: "failed", reason: "AlertToVoipToken", attempts: 0 });
    assert.equal(apns.requests.length, 1);
  });

  it("hashes a collapse id over 64 bytes to 64 hex digits", async () => {
    const { apns, provider, clock } = await world();
    const long = `c:${"会话".repeat(20)}`;
    assert.ok(Buffer.byteLength(long) > 64);
    assert.equal((await provider.send(target("apns", apnsToken()), notification(clock, { collapseId: long }))).status, "sent");
    assert.equal(apns.requests[0]?.headers["apns-collapse-id"], createHash("sha256").update(long).digest("hex"));
  });

  it("cuts a long body to fit 4096 bytes (5120 for VoIP) and fails without a request when the data alone is too large", async () => {
    const { apns, provider, clock } = await world();
    const body = "长".repeat(3000); // 9000 bytes
    assert.equal((await provider.send(target("apns", apnsToken()), notification(clock, { body }))).status, "sent");
    assert.equal((await provider.send(target("apns-voip", apnsToken()), notification(clock, { kind: "call", body }))).status, "sent");
    const [alert, voip] = apns.requests;
    assert.ok(alert && voip);
    assert.ok(alert.payloadBytes <= 4096 && alert.payloadBytes > 4000, `alert payload ${alert.payloadBytes}`);
    assert.ok(voip.payloadBytes <= 5120 && voip.payloadBytes > 4096, `voip payload ${voip.payloadBytes}`);
    const alertBody = (alert.payload as { aps: { alert: { body: string } } }).aps.alert.body;
    assert.ok(alertBody.endsWith("…") && alertBody.startsWith("长长"));
    const huge = notification(clock, { data: { conversationId: "1", blob: "x".repeat(5000) } });
    assert.deepEqual(await provider.send(target("apns", apnsToken()), huge), { status: "failed", reason: "PayloadTooLarge", attempts: 0 });
    assert.equal(apns.requests.length, 2);
  });

  for (const [status, reason] of [
    [410, "Unregistered"],
    [400, "BadDeviceToken"],
    [400, "DeviceTokenNotForTopic"],
  ] as const) {
    it(`prunes the token on ${status} ${reason}`, async () => {
      const { apns, provider, clock } = await world();
      const token = apnsToken();
      apns.script.forToken(token, { status, reason });
      const outcome = await provider.send(target("apns", token), notification(clock));
      assert.deepEqual(outcome, { status: "invalid-token", reason, attempts: 1 });
      assert.equal(apns.requests.length, 1);
    });
  }

  it("prunes a token APNs finds malformed, and fails (no prune) on other refusals", async () => {
    const { apns, provider, clock } = await world();
    assert.deepEqual(await provider.send(target("apns", "not-hex"), notification(clock)), {
      status: "invalid-token",
      reason: "BadDeviceToken",
      attempts: 1,
    });
    apns.script.next({ status: 400, reason: "TopicDisallowed" });
    assert.deepEqual(await provider.send(target("apns", apnsToken()), notification(clock)), {
      status: "failed",
      reason: "TopicDisallowed",
      attempts: 1,
    });
  });

  it("keeps one provider token for 50 minutes, then makes a new one (never over an hour old)", async () => {
    const { apns, provider, clock } = await world();
    const send = () => provider.send(target("apns", apnsToken()), notification(clock));
    assert.equal((await send()).status, "sent");
    clock.advance(20 * MINUTE);
    assert.equal((await send()).status, "sent");
    clock.advance(29 * MINUTE);
    assert.equal((await send()).status, "sent");
    assert.equal(apns.providerTokens.length, 1, "one token for 49 minutes");
    clock.advance(MINUTE);
    assert.equal((await send()).status, "sent");
    assert.equal(apns.providerTokens.length, 2, "a new token at 50 minutes");
    assert.equal(apns.providerTokens[1]?.iat, Math.floor(clock.now() / 1000));
    clock.advance(3 * 60 * MINUTE);
    assert.equal((await send()).status, "sent");
    assert.equal(apns.providerTokens.length, 3);
    assert.ok(apns.requests.every((request) => request.status === 200));
  });

  it("makes a new token on 403 ExpiredProviderToken and sends again, once for a burst, but not within 20 minutes of the last", async () => {
    const { apns, provider, clock } = await world();
    assert.equal((await provider.send(target("apns", apnsToken()), notification(clock))).status, "sent");
    clock.advance(25 * MINUTE);
    apns.script.next(...Array.from({ length: 5 }, () => ({ status: 403, reason: "ExpiredProviderToken" })));
    const burst = await Promise.all(Array.from({ length: 5 }, () => provider.send(target("apns", apnsToken()), notification(clock))));
    assert.deepEqual(
      burst.map((outcome) => [outcome.status, outcome.attempts]),
      Array.from({ length: 5 }, () => ["sent", 1]),
    );
    assert.equal(apns.providerTokens.length, 2, "one new token for the burst");
    assert.equal(apns.requests.filter((request) => request.reason === "TooManyProviderTokenUpdates").length, 0);
    assert.equal(apns.requests.length, 11);

    clock.advance(5 * MINUTE);
    apns.script.next({ status: 403, reason: "ExpiredProviderToken" });
    const early = await provider.send(target("apns", apnsToken()), notification(clock));
    assert.equal(early.status, "retry");
    assert.equal(early.status === "retry" && early.retryAfterMs, APNS_TOKEN_MIN_INTERVAL_MS - 5 * MINUTE);
    assert.equal(apns.providerTokens.length, 2, "no token within 20 minutes of the last");
    assert.equal(apns.requests.length, 12);
  });

  it("fails (no prune) when APNs refuses the signature", async () => {
    const { apns, provider, clock } = await world({ clientKey: createApnsTestKey() });
    assert.deepEqual(await provider.send(target("apns", apnsToken()), notification(clock)), {
      status: "failed",
      reason: "InvalidProviderToken",
      attempts: 1,
    });
    assert.equal(apns.requests[0]?.jwt, undefined);
  });

  it("retries 429 after its Retry-After and 5xx with a growing backoff, then gives up with retry", async () => {
    const { apns, provider, clock } = await world({ retries: 2 });
    apns.script.next({ status: 429, reason: "TooManyRequests", retryAfterSeconds: 1 });
    const started = performance.now();
    const outcome = await provider.send(target("apns", apnsToken()), notification(clock));
    assert.equal(outcome.status, "sent");
    assert.equal(outcome.attempts, 2);
    assert.ok(performance.now() - started >= 990, "waited Retry-After");

    apns.script.next(
      { status: 500, reason: "InternalServerError" },
      { status: 503, reason: "ServiceUnavailable" },
      { status: 503, reason: "ServiceUnavailable" },
    );
    const before = apns.requests.length;
    const failing = await provider.send(target("apns", apnsToken()), notification(clock));
    assert.deepEqual(failing, { status: "retry", reason: "ServiceUnavailable", attempts: 3 });
    const times = apns.requests.slice(before).map((request) => request.wallTime);
    assert.equal(times.length, 3);
    const [first, second, third] = times as [number, number, number];
    // base 50 ms doubled per retry, jitter between half and all of it: ≥ 25 ms, then ≥ 50 ms
    assert.ok(second - first >= 20, `first backoff ${second - first} ms`);
    assert.ok(third - second >= 45, `second backoff ${third - second} ms`);
    assert.equal(apns.script.pending, 0);
  });

  it("hands a long Retry-After back to the worker instead of waiting", async () => {
    const { apns, provider, clock } = await world({ maxWaitMs: 5000 });
    apns.script.next({ status: 429, reason: "TooManyRequests", retryAfterSeconds: 120 });
    const started = performance.now();
    const outcome = await provider.send(target("apns", apnsToken()), notification(clock));
    assert.deepEqual(outcome, { status: "retry", reason: "TooManyRequests", retryAfterMs: 120_000, attempts: 1 });
    assert.ok(performance.now() - started < 2000);
    assert.equal(apns.requests.length, 1);
  });

  it("does not send an expired notification, nor retry past its expiration", async () => {
    const { apns, provider, clock } = await world();
    const expired = notification(clock, { expiresAt: clock.now() - 1 });
    assert.deepEqual(await provider.send(target("apns", apnsToken()), expired), { status: "failed", reason: "Expired", attempts: 0 });
    apns.script.next({ status: 503, reason: "ServiceUnavailable", retryAfterSeconds: 2 });
    const soon = notification(clock, { expiresAt: clock.now() + 1000 });
    assert.deepEqual(await provider.send(target("apns", apnsToken()), soon), { status: "failed", reason: "Expired", attempts: 1 });
    assert.equal(apns.requests.length, 1);
  });

  it("stops waiting when the caller aborts", async () => {
    const { apns, provider, clock } = await world();
    apns.script.next({ status: 503, reason: "ServiceUnavailable", retryAfterSeconds: 5 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const started = performance.now();
    const outcome = await provider.send(target("apns", apnsToken()), notification(clock), controller.signal);
    assert.deepEqual(outcome, { status: "retry", reason: "aborted", attempts: 1 });
    assert.ok(performance.now() - started < 3000);
  });

  it("does not trust a server whose certificate is not in PUSH_CA_FILE", async () => {
    const key = createApnsTestKey();
    const clock = testClock();
    const apns = await startApnsServer({ teamId: key.teamId, keyId: key.keyId, publicKey: key.publicKey, now: clock.now });
    const provider = oneProvider(
      {
        PUSH_APNS_KEY: key.privateKey,
        PUSH_APNS_KEY_ID: key.keyId,
        PUSH_APNS_TEAM_ID: key.teamId,
        PUSH_APNS_URL: apns.url,
        PUSH_PROVIDER_RETRIES: "0",
      },
      clock,
    );
    try {
      const outcome = await provider.send(target("apns", apnsToken()), notification(clock));
      assert.equal(outcome.status, "retry");
      assert.match(outcome.status === "retry" ? outcome.reason : "", /network/);
      assert.equal(apns.requests.length, 0);
    } finally {
      await provider.close();
      await apns.stop();
    }
  });
});
