import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import type { PushProvider } from "@im/push";
import { xiaomiNotifyId } from "@im/push-app";
import { startXiaomiServer, type XiaomiServer } from "@im/testing";
import { caFile, notification, oneProvider, type TestClock, target, testClock } from "./providers-helpers.js";

const SECRET = "xiaomi-app-secret";

interface World {
  xiaomi: XiaomiServer;
  provider: PushProvider;
  clock: TestClock;
}

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const cleanup of cleanups) await cleanup();
});

async function world(options: { retries?: number; secret?: string } = {}): Promise<World> {
  const clock = testClock();
  const xiaomi = await startXiaomiServer({ appSecret: SECRET, packageNames: ["com.example.im"], now: clock.now });
  const ca = await caFile(xiaomi.ca);
  const provider = oneProvider(
    {
      PUSH_XIAOMI_APP_SECRET: options.secret ?? SECRET,
      PUSH_XIAOMI_URL: xiaomi.url,
      PUSH_CA_FILE: ca.path,
      PUSH_PROVIDER_RETRIES: String(options.retries ?? 3),
    },
    clock,
  );
  cleanups.push(async () => {
    await provider.close();
    await xiaomi.stop();
    await ca.cleanup();
  });
  return { xiaomi, provider, clock };
}

describe("Xiaomi MiPush client against a local MiPush", () => {
  it("sends an alert as a notification form with key= auth, cut title and description, ttl and a stable notify_id", async () => {
    const { xiaomi, provider, clock } = await world();
    const sent = notification(clock, { title: "T".repeat(80), body: "B".repeat(300), expiresAt: clock.now() + 3_600_000 });
    const outcome = await provider.send(target("xiaomi", "mi-reg-1"), sent);
    assert.equal(outcome.status, "sent");
    assert.match(outcome.status === "sent" ? (outcome.providerId ?? "") : "", /^alm/);
    const request = xiaomi.requests[0];
    assert.ok(request);
    assert.equal(request.authorization, `key=${SECRET}`);
    assert.equal(request.fields.registration_id, "mi-reg-1");
    assert.equal(request.fields.restricted_package_name, "com.example.im");
    assert.equal(request.fields.pass_through, "0");
    assert.equal(request.fields.payload, JSON.stringify(sent.data));
    assert.equal(request.fields.time_to_live, "3600000");
    assert.equal(request.fields.notify_type, "-1");
    assert.equal([...(request.fields.title ?? "")].length, 49);
    assert.equal([...(request.fields.description ?? "")].length, 127);
    assert.ok(request.fields.description?.endsWith("…"));
    assert.equal(request.fields.notify_id, String(xiaomiNotifyId(sent.collapseId)));
    await provider.send(target("xiaomi", "mi-reg-1"), notification(clock));
    assert.equal(xiaomi.requests[1]?.fields.notify_id, request.fields.notify_id, "one notify_id per conversation");
  });

  it("sends call invites as pass-through messages carrying title and body in the payload", async () => {
    const { xiaomi, provider, clock } = await world();
    await provider.send(target("xiaomi", "r"), notification(clock, { kind: "call", body: "Video call" }));
    const fields = xiaomi.requests[0]?.fields;
    assert.equal(fields?.pass_through, "1");
    assert.equal(fields?.title, undefined);
    assert.equal((JSON.parse(fields?.payload ?? "{}") as { body: string }).body, "Video call");
  });

  it("prunes a regId MiPush has no valid target for (20301)", async () => {
    const { xiaomi, provider, clock } = await world();
    xiaomi.script.forToken("dead", { code: 20301 });
    const outcome = await provider.send(target("xiaomi", "dead"), notification(clock));
    assert.equal(outcome.status, "invalid-token");
    assert.equal(xiaomi.requests[0]?.code, 20301);
  });

  it("retries 10027 (too frequent) and 503 honouring Retry-After; fails on authentication (21301)", async () => {
    const { xiaomi, provider, clock } = await world({ retries: 2 });
    xiaomi.script.next({ status: 503, code: 10002, retryAfterSeconds: 1 }, { code: 10027, reason: "too frequent" });
    const outcome = await provider.send(target("xiaomi", "r"), notification(clock));
    assert.deepEqual([outcome.status, outcome.attempts], ["sent", 3]);
    const [first, second] = xiaomi.requests;
    assert.ok(first && second && second.wallTime - first.wallTime >= 990);
    const refused = await world({ secret: "wrong" });
    const denied = await refused.provider.send(target("xiaomi", "r"), notification(refused.clock));
    assert.equal(denied.status, "failed");
    assert.match(denied.status === "failed" ? denied.reason : "", /^21301/);
  });

  it("fails without a request when the payload exceeds 4096 bytes", async () => {
    const { xiaomi, provider, clock } = await world();
    const huge = notification(clock, { data: { conversationId: "1", blob: "x".repeat(5000) } });
    assert.deepEqual(await provider.send(target("xiaomi", "r"), huge), { status: "failed", reason: "PayloadTooLarge", attempts: 0 });
    assert.equal(xiaomi.requests.length, 0);
  });
});
