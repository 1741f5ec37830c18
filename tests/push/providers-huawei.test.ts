import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import type { PushProvider } from "@im/push";
import { type HuaweiServer, startHuaweiServer } from "@im/testing";
import { caFile, MINUTE, notification, oneProvider, type TestClock, target, testClock } from "./providers-helpers.js";

const APP_ID = "104990123";
const SECRET = "huawei-test-secret";

interface World {
  huawei: HuaweiServer;
  provider: PushProvider;
  clock: TestClock;
}

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const cleanup of cleanups) await cleanup();
});

async function world(options: { retries?: number; secret?: string } = {}): Promise<World> {
  const clock = testClock();
  const huawei = await startHuaweiServer({ appId: APP_ID, clientSecret: SECRET, now: clock.now });
  const ca = await caFile(huawei.ca);
  const provider = oneProvider(
    {
      PUSH_HUAWEI_APP_ID: APP_ID,
      PUSH_HUAWEI_CLIENT_SECRET: options.secret ?? SECRET,
      PUSH_HUAWEI_URL: huawei.url,
      PUSH_HUAWEI_TOKEN_URL: huawei.tokenUrl,
      PUSH_CA_FILE: ca.path,
      PUSH_PROVIDER_RETRIES: String(options.retries ?? 3),
    },
    clock,
  );
  cleanups.push(async () => {
    await provider.close();
    await huawei.stop();
    await ca.cleanup();
  });
  return { huawei, provider, clock };
}

const messageOf = (huawei: HuaweiServer, index: number) =>
  (huawei.requests[index]?.body as { message: Record<string, unknown> } | undefined)?.message ?? {};

describe("Huawei Push Kit client against a local Push Kit", () => {
  it("gets a client-credentials token and sends an alert as a notification message with urgency, ttl and tag", async () => {
    const { huawei, provider, clock } = await world();
    const sent = notification(clock);
    const outcome = await provider.send(target("huawei", "hw-token-1"), sent);
    assert.equal(outcome.status, "sent");
    assert.ok(outcome.status === "sent" && outcome.providerId);
    assert.equal(huawei.tokenRequests.length, 1);
    assert.equal(huawei.requests[0]?.accessToken, huawei.tokenRequests[0]?.accessToken);
    assert.equal((huawei.requests[0]?.body as { validate_only?: boolean } | undefined)?.validate_only, false);
    assert.deepEqual(messageOf(huawei, 0), {
      token: ["hw-token-1"],
      data: JSON.stringify(sent.data),
      android: {
        urgency: "HIGH",
        ttl: "60s",
        notification: { title: "Alice", body: "see you at eight", click_action: { type: 3 }, tag: sent.collapseId },
      },
    });
  });

  it("sends call invites as HIGH pass-through messages of category VOIP, normal alerts as NORMAL", async () => {
    const { huawei, provider, clock } = await world();
    await provider.send(target("huawei", "t"), notification(clock, { kind: "call", body: "Voice call" }));
    await provider.send(target("huawei", "t"), notification(clock, { priority: "normal" }));
    const call = messageOf(huawei, 0);
    assert.deepEqual(call.android, { urgency: "HIGH", ttl: "60s", category: "VOIP" });
    assert.equal((JSON.parse(String(call.data)) as { body: string }).body, "Voice call");
    assert.equal((messageOf(huawei, 1).android as { urgency: string }).urgency, "NORMAL");
  });

  it("refreshes the token 5 minutes before it expires, and at once on 80200003 (expired), sending again", async () => {
    const { huawei, provider, clock } = await world();
    const send = () => provider.send(target("huawei", "t"), notification(clock));
    await send();
    clock.advance(54 * MINUTE);
    await send();
    assert.equal(huawei.tokenRequests.length, 1);
    clock.advance(MINUTE + 1);
    await send();
    assert.equal(huawei.tokenRequests.length, 2);
    huawei.expireTokens();
    const outcome = await send();
    assert.deepEqual([outcome.status, outcome.attempts], ["sent", 1]);
    assert.equal(huawei.tokenRequests.length, 3);
    assert.deepEqual(
      huawei.requests.map((request) => request.code),
      ["80000000", "80000000", "80000000", "80200003", "80000000"],
    );
  });

  it("prunes a token all-invalid (80300007) or listed in illegal_tokens of a partial answer (80100000)", async () => {
    const { huawei, provider, clock } = await world();
    huawei.script.forToken("dead", { code: "80300007" });
    assert.deepEqual(await provider.send(target("huawei", "dead"), notification(clock)), {
      status: "invalid-token",
      reason: "80300007",
      attempts: 1,
    });
    huawei.script.next({ code: "80100000", msg: JSON.stringify({ success: 0, failure: 1, illegal_tokens: ["listed"] }) });
    assert.deepEqual(await provider.send(target("huawei", "listed"), notification(clock)), {
      status: "invalid-token",
      reason: "80100000 illegal_tokens",
      attempts: 1,
    });
    huawei.script.next({ code: "80100000", msg: JSON.stringify({ success: 1, failure: 1, illegal_tokens: ["someone-else"] }) });
    assert.equal((await provider.send(target("huawei", "fine"), notification(clock))).status, "sent");
  });

  it("retries flow control (503) after Retry-After and internal errors with backoff; fails on a refused message", async () => {
    const { huawei, provider, clock } = await world({ retries: 2 });
    huawei.script.next({ status: 503, code: "80300009", msg: "flow control", retryAfterSeconds: 1 });
    const outcome = await provider.send(target("huawei", "t"), notification(clock));
    assert.deepEqual([outcome.status, outcome.attempts], ["sent", 2]);
    const [first, second] = huawei.requests;
    assert.ok(first && second && second.wallTime - first.wallTime >= 990);
    huawei.script.next(...Array.from({ length: 3 }, () => ({ code: "81000001", msg: "internal error" })));
    assert.deepEqual(await provider.send(target("huawei", "t"), notification(clock)), {
      status: "retry",
      reason: "81000001 internal error",
      attempts: 3,
    });
    huawei.script.next({ code: "80300002", msg: "no permission" });
    assert.deepEqual(await provider.send(target("huawei", "t"), notification(clock)), {
      status: "failed",
      reason: "80300002 no permission",
      attempts: 1,
    });
  });

  it("fails without a send when the client secret is refused", async () => {
    const { huawei, provider, clock } = await world({ secret: "wrong" });
    const outcome = await provider.send(target("huawei", "t"), notification(clock));
    assert.equal(outcome.status, "failed");
    assert.equal(huawei.tokenRequests[0]?.status, 400);
    assert.equal(huawei.requests.length, 0);
  });

  it("cuts a long body to keep the message within 4096 bytes (the fake refuses larger)", async () => {
    const { huawei, provider, clock } = await world();
    assert.equal((await provider.send(target("huawei", "t"), notification(clock, { body: "文".repeat(3000) }))).status, "sent");
    const { token: _token, ...rest } = messageOf(huawei, 0);
    const size = Buffer.byteLength(JSON.stringify(rest));
    assert.ok(size <= 4096 && size > 3900, `message ${size} bytes`);
    const huge = notification(clock, { data: { conversationId: "1", blob: "x".repeat(5000) } });
    assert.deepEqual(await provider.send(target("huawei", "t"), huge), { status: "failed", reason: "PayloadTooLarge", attempts: 0 });
  });
});
