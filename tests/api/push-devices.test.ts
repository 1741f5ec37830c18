import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { disableUser } from "@im/api";
import { ApiClient, errorOf, type Reply } from "../support/client.js";
import { loginHelpers } from "../support/login.js";
import { startStack, type TestStack } from "../support/stack.js";
import { registerUser, type TestUser } from "../support/users.js";

interface Device {
  id: string;
  provider: string;
  appId: string;
  environment: string;
  locale: string;
  sessionId: string;
  resource: string;
  deviceId: string;
  current: boolean;
  createTime: number;
  modifyTime: number;
}

const apnsToken = () => randomBytes(32).toString("hex");
const fcmToken = () => `f${randomBytes(60).toString("base64url")}:APA91b${randomBytes(40).toString("base64url")}`;
const deviceIdOf = (provider: string, token: string) => createHash("sha256").update(`${provider}:${token}`).digest("hex");
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

function expectStatus(reply: Reply<unknown>, status: number): void {
  assert.equal(reply.status, status, JSON.stringify(reply.body));
}

describe("push device registry", () => {
  let stack: TestStack;
  let client: ApiClient;
  before(async () => {
    stack = await startStack({ API_MAX_SESSIONS: "3", API_SMS_REQUIRED: "false" });
    client = new ApiClient(stack.api.url);
  });
  after(() => stack.stop());

  const { loginOk } = loginHelpers(() => client);
  const register = (token: string, body: Record<string, unknown>) => client.post<Device>("/v1/push/devices", body, token);
  const registerOk = async (token: string, body: Record<string, unknown>) => {
    const reply = await register(token, body);
    expectStatus(reply, 200);
    return reply.body;
  };
  const list = async (token: string) => {
    const reply = await client.get<{ items: Device[] }>("/v1/push/devices", token);
    expectStatus(reply, 200);
    return reply.body.items;
  };
  const stored = (userId: number) => stack.api.deps.models.pushDevices.find({ userId }).lean();
  /** A user logged in on two phones (resource, deviceId) besides the registration session. */
  async function twoPhones(): Promise<{ user: TestUser; a: string; b: string }> {
    const user = await registerUser(stack, client);
    const a = (await loginOk(user, { resource: "ios", deviceId: "phone-a" })).accessToken;
    const b = (await loginOk(user, { resource: "android", deviceId: "phone-b" })).accessToken;
    return { user, a, b };
  }

  it("registers the session's token per provider: one per provider, a new one replaces the old, ids are sha256(provider:token)", async () => {
    const user = await registerUser(stack, client);
    const login = await loginOk(user, { resource: "ios", deviceId: "iphone-1" });
    const first = apnsToken();
    const device = await registerOk(login.accessToken, {
      provider: "apns",
      token: first,
      appId: "com.example.im",
      environment: "sandbox",
      locale: "zh-TW",
    });
    assert.equal(device.id, deviceIdOf("apns", first));
    assert.equal(device.sessionId, login.sessionId);
    assert.deepEqual(
      [device.provider, device.appId, device.environment, device.locale, device.resource, device.deviceId, device.current],
      ["apns", "com.example.im", "sandbox", "zh-TW", "ios", "iphone-1", true],
    );
    const voip = apnsToken();
    await registerOk(login.accessToken, { provider: "apns-voip", token: voip, appId: "com.example.im" });
    const second = apnsToken();
    await registerOk(login.accessToken, { provider: "apns", token: second, appId: "com.example.im" });

    const docs = await stored(user.userId);
    assert.deepEqual(
      docs.map((d) => d._id).sort(),
      [deviceIdOf("apns", second), deviceIdOf("apns-voip", voip)].sort(),
      "the first apns token is gone",
    );
    for (const doc of docs) {
      assert.equal(doc.tokenHash, sha256(login.accessToken), "the session's key, never the access token itself");
      assert.equal(doc.sessionId, login.sessionId);
    }
    const voipDoc = docs.find((d) => d.provider === "apns-voip");
    assert.equal(voipDoc?.environment, "production", "the default environment");
    assert.equal(voipDoc?.locale, "zh", "the default locale");

    // Registering the same token again keeps one record and its createTime.
    const again = await registerOk(login.accessToken, { provider: "apns", token: second, appId: "com.example.im" });
    const items = await list(login.accessToken);
    assert.equal(items.length, 2);
    assert.equal(items.find((d) => d.id === again.id)?.createTime, docs.find((d) => d._id === again.id)?.createTime);
    assert.ok(items.every((d) => d.current));
    assert.ok(!JSON.stringify(items).includes(second), "the list does not hand the tokens out");
  });

  it("moves a token to whoever registers it last (one token, one user)", async () => {
    const alice = await registerUser(stack, client);
    const bob = await registerUser(stack, client);
    const token = fcmToken();
    await registerOk(alice.token, { provider: "fcm", token, appId: "com.example.im" });
    await registerOk(bob.token, { provider: "fcm", token, appId: "com.example.im", locale: "en" });
    assert.deepEqual(await list(alice.token), []);
    const bobs = await list(bob.token);
    assert.equal(bobs.length, 1);
    assert.equal(bobs[0]?.id, deviceIdOf("fcm", token));
    assert.equal(await stack.api.deps.models.pushDevices.countDocuments({ _id: deviceIdOf("fcm", token) }), 1);
    const doc = await stack.api.deps.models.pushDevices.findById(deviceIdOf("fcm", token)).lean();
    assert.equal(doc?.userId, bob.userId);
    assert.equal(doc?.tokenHash, sha256(bob.token));
  });

  it("keeps one token when a session registers several of one provider at once", async () => {
    const user = await registerUser(stack, client);
    const tokens = Array.from({ length: 8 }, () => fcmToken());
    const replies = await Promise.all(tokens.map((token) => register(user.token, { provider: "fcm", token, appId: "com.example.im" })));
    for (const reply of replies) expectStatus(reply, 200);
    const docs = await stored(user.userId);
    assert.equal(docs.length, 1, JSON.stringify(docs.map((d) => d._id)));
    assert.ok(tokens.map((t) => deviceIdOf("fcm", t)).includes(docs[0]?._id ?? ""));
  });

  it("refuses bad registrations with VALIDATION_FAILED naming the field", async () => {
    const user = await registerUser(stack, client);
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ provider: "baidu", token: fcmToken(), appId: "com.example.im" }, "provider"],
      [{ provider: "apns", token: "not-hex-at-all-but-long-enough", appId: "com.example.im" }, "token"],
      [{ provider: "fcm", token: "has spaces in it", appId: "com.example.im" }, "token"],
      [{ provider: "fcm", token: "x".repeat(4097), appId: "com.example.im" }, "token"],
      [{ provider: "fcm", token: fcmToken(), appId: "" }, "appId"],
      [{ provider: "apns", token: apnsToken(), appId: "com.example.im", environment: "staging" }, "environment"],
      [{ provider: "fcm", token: fcmToken(), appId: "com.example.im", locale: "zh_CN!" }, "locale"],
      [{ provider: "fcm", appId: "com.example.im" }, "token"],
    ];
    for (const [body, field] of cases) {
      const reply = await register(user.token, body);
      expectStatus(reply, 400);
      assert.equal(errorOf(reply).key, "VALIDATION_FAILED");
      assert.ok(JSON.stringify(reply.body).includes(field), `${field}: ${JSON.stringify(reply.body)}`);
    }
    assert.deepEqual(await stored(user.userId), []);
    const anonymous = await client.post("/v1/push/devices", { provider: "fcm", token: fcmToken(), appId: "com.example.im" });
    expectStatus(anonymous, 401);
  });

  it("removes one device of mine (not someone else's), or every token of the current session", async () => {
    const { user, a, b } = await twoPhones();
    const other = await registerUser(stack, client);
    const phoneA = await registerOk(a, { provider: "apns", token: apnsToken(), appId: "com.example.im" });
    await registerOk(a, { provider: "apns-voip", token: apnsToken(), appId: "com.example.im" });
    const phoneB = await registerOk(b, { provider: "fcm", token: fcmToken(), appId: "com.example.im" });
    const othersDevice = await registerOk(other.token, { provider: "fcm", token: fcmToken(), appId: "com.example.im" });

    const foreign = await client.delete(`/v1/push/devices/${othersDevice.id}`, a);
    expectStatus(foreign, 404);
    assert.equal(errorOf(foreign).key, "PUSH_DEVICE_NOT_FOUND");
    assert.equal((await list(other.token)).length, 1, "untouched");
    expectStatus(await client.delete(`/v1/push/devices/${phoneB.id}`, a), 204);
    expectStatus(await client.delete(`/v1/push/devices/${phoneB.id}`, a), 404);
    const invalid = await client.delete("/v1/push/devices/xyz", a);
    expectStatus(invalid, 400);

    await registerOk(b, { provider: "fcm", token: fcmToken(), appId: "com.example.im" });
    expectStatus(await client.delete("/v1/push/devices/current", a), 204);
    const left = await list(b);
    assert.deepEqual(
      left.map((d) => [d.provider, d.current]),
      [["fcm", true]],
      "phone A's two tokens are gone, phone B's stays",
    );
    assert.ok(!left.some((d) => d.id === phoneA.id));
    assert.equal((await stored(user.userId)).length, 1);
  });

  it("logout and signing out another device remove that session's devices only", async () => {
    const { user, a, b } = await twoPhones();
    const sessionB = (await registerOk(b, { provider: "fcm", token: fcmToken(), appId: "com.example.im" })).sessionId;
    await registerOk(a, { provider: "apns", token: apnsToken(), appId: "com.example.im" });
    await registerOk(user.token, { provider: "xiaomi", token: fcmToken(), appId: "com.example.im" });

    expectStatus(await client.post("/v1/auth/logout", undefined, a), 204);
    assert.deepEqual((await stored(user.userId)).map((d) => d.provider).sort(), ["fcm", "xiaomi"]);

    expectStatus(await client.delete(`/v1/auth/sessions/${sessionB}`, user.token), 204);
    assert.deepEqual(
      (await stored(user.userId)).map((d) => d.provider),
      ["xiaomi"],
    );
  });

  it("a password change, a reset and disabling the account remove every device of the user", async () => {
    const changed = await twoPhones();
    await registerOk(changed.a, { provider: "apns", token: apnsToken(), appId: "com.example.im" });
    await registerOk(changed.b, { provider: "huawei", token: fcmToken(), appId: "com.example.im" });
    const change = await client.post(
      "/v1/auth/password/change",
      { oldPassword: changed.user.password, newPassword: "a-new-password-1" },
      changed.a,
    );
    expectStatus(change, 204);
    assert.deepEqual(await stored(changed.user.userId), []);

    const reset = await twoPhones();
    await registerOk(reset.a, { provider: "apns", token: apnsToken(), appId: "com.example.im" });
    const sent = await client.post("/v1/sms/codes", { areaCode: reset.user.areaCode, phone: reset.user.phone, purpose: "reset_password" });
    expectStatus(sent, 202);
    const smsCode = stack.sms.lastCode(reset.user.areaCode, reset.user.phone);
    const resetReply = await client.post("/v1/auth/password/reset", {
      areaCode: reset.user.areaCode,
      phone: reset.user.phone,
      smsCode,
      newPassword: "another-password-2",
    });
    expectStatus(resetReply, 204);
    assert.deepEqual(await stored(reset.user.userId), []);

    const disabled = await twoPhones();
    await registerOk(disabled.b, { provider: "fcm", token: fcmToken(), appId: "com.example.im" });
    const bystander = await registerUser(stack, client);
    await registerOk(bystander.token, { provider: "fcm", token: fcmToken(), appId: "com.example.im" });
    await disableUser(stack.api.deps, disabled.user.userId);
    assert.deepEqual(await stored(disabled.user.userId), []);
    assert.equal((await stored(bystander.userId)).length, 1, "other users keep theirs");
  });

  it("a login that revokes older sessions (same device id, too many sessions) removes their devices", async () => {
    const user = await registerUser(stack, client);
    const first = await loginOk(user, { resource: "ios", deviceId: "phone-x" });
    await registerOk(first.accessToken, { provider: "apns", token: apnsToken(), appId: "com.example.im" });
    const keep = await registerOk(user.token, { provider: "fcm", token: fcmToken(), appId: "com.example.im" });
    // The same phone logs in again: its old session is revoked, and with it the old session's token.
    const second = await loginOk(user, { resource: "ios", deviceId: "phone-x" });
    assert.deepEqual(
      (await stored(user.userId)).map((d) => d._id),
      [keep.id],
    );
    await registerOk(second.accessToken, { provider: "apns", token: apnsToken(), appId: "com.example.im" });
    // Two more logins go past API_MAX_SESSIONS (3): the oldest (registration) session ends, its fcm token too.
    await loginOk(user, { resource: "web", deviceId: "browser-1" });
    await loginOk(user, { resource: "web", deviceId: "browser-2" });
    assert.deepEqual(
      (await stored(user.userId)).map((d) => [d.provider, d.sessionId]),
      [["apns", second.sessionId]],
    );
  });
});
