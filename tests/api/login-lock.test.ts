import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ApiClient, errorOf } from "../support/client.js";
import { type LoginReply, loginHelpers } from "../support/login.js";
import { startStack, type TestStack } from "../support/stack.js";
import { registerUser, uniquePhone } from "../support/users.js";

const MAX_FAILURES = 3;
const LOGIN_WINDOW = 900;

describe("login: wrong passwords, the lock, SMS-code login", () => {
  let stack: TestStack;
  let client: ApiClient;
  before(async () => {
    stack = await startStack({ API_LOGIN_MAX_FAILURES: String(MAX_FAILURES), API_LOGIN_WINDOW_SECONDS: String(LOGIN_WINDOW) });
    client = new ApiClient(stack.api.url);
  });
  after(() => stack.stop());

  const { login, works, sessions } = loginHelpers(() => client);

  it("refuses a wrong password and an unknown phone alike with 401 LOGIN_FAILED", async () => {
    const user = await registerUser(stack, client);
    const wrong = await login(user, {}, "not-the-password");
    assert.equal(wrong.status, 401);
    assert.equal(errorOf(wrong).key, "LOGIN_FAILED");
    const unknown = await client.post("/v1/auth/login", { areaCode: "86", phone: uniquePhone(), password: user.password });
    assert.equal(unknown.status, 401);
    assert.equal(errorOf(unknown).key, "LOGIN_FAILED");
    assert.equal(errorOf(unknown).message, errorOf(wrong).message, "the answer does not reveal whether the phone exists");
    assert.equal((await login(user)).status, 200, "the failures stayed below the lock");
    // The password is case-sensitive and is not trimmed.
    assert.equal((await login(user, {}, user.password.toUpperCase())).status, 401);
    assert.equal((await login(user, {}, ` ${user.password}`)).status, 401);
  });

  it(`locks a phone after ${MAX_FAILURES} failures, even for the right password`, async () => {
    const user = await registerUser(stack, client);
    const bystander = await registerUser(stack, client);
    for (let i = 0; i < MAX_FAILURES; i++) {
      const reply = await login(user, {}, `wrong-password-${i}`);
      assert.equal(reply.status, 401, `failure ${i + 1}`);
    }
    const locked = await login(user);
    assert.equal(locked.status, 429, JSON.stringify(locked.body));
    assert.equal(errorOf(locked).key, "LOGIN_LOCKED");
    const retryAfter = Number(locked.headers.get("retry-after"));
    assert.ok(Number.isInteger(retryAfter) && retryAfter > 0 && retryAfter <= LOGIN_WINDOW, `retry-after ${retryAfter}`);
    assert.equal(errorOf(locked).retryAfterSeconds, retryAfter);
    assert.equal((await login(user, {}, "wrong-again")).status, 429);
    // Other phones are not locked.
    assert.equal((await login(bystander)).status, 200);
    // The lock ends with its window.
    await stack.api.deps.redis.del(`rl:login:fail:${user.areaCode}${user.phone}`);
    assert.equal((await login(user)).status, 200);
  });

  it(`checks at most ${MAX_FAILURES} passwords of a phone per window, however many arrive at once`, async () => {
    // Found by black-box testing: 29 wrong guesses and the right password sent together were all checked
    // (the lock was read before any failure was counted) and the right one got in.
    const user = await registerUser(stack, client);
    const guesses = Array.from({ length: 29 }, (_, i) => login(user, {}, `parallel-wrong-${i}`));
    const replies = await Promise.all([...guesses, login(user)]);
    const statuses = replies.map((r) => r.status);
    const checked = statuses.filter((status) => status !== 429).length;
    assert.ok(checked <= MAX_FAILURES, `only ${MAX_FAILURES} may be checked, ${checked} were: ${statuses.join(",")}`);
    assert.ok(
      replies.filter((r) => r.status === 429).every((r) => errorOf(r).key === "LOGIN_LOCKED"),
      "the rest are LOGIN_LOCKED",
    );
    await stack.api.deps.redis.del(`rl:login:fail:${user.areaCode}${user.phone}`);
  });

  /** Asks for a login code (as if the resend interval had passed); the code if one was sent, else undefined. */
  const loginCode = async (areaCode: string, phone: string) => {
    await stack.api.deps.redis.del(`rl:sms:phone:${areaCode}${phone}`);
    const sent = stack.sms.sent.length;
    const reply = await client.post("/v1/sms/codes", { areaCode, phone, purpose: "login" });
    assert.equal(reply.status, 202, JSON.stringify(reply.body));
    return stack.sms.sent.length > sent ? stack.sms.lastCode(areaCode, phone) : undefined;
  };
  const smsLogin = (user: { areaCode: string; phone: string }, smsCode: string, extra: Record<string, unknown> = {}) =>
    client.post<LoginReply>("/v1/auth/login/sms", { areaCode: user.areaCode, phone: user.phone, smsCode, ...extra });

  it("lets the owner of a locked phone in with an SMS code, which lifts the lock", async () => {
    const user = await registerUser(stack, client);
    for (let i = 0; i < MAX_FAILURES; i++) assert.equal((await login(user, {}, `wrong-password-${i}`)).status, 401);
    assert.equal(errorOf(await login(user)).key, "LOGIN_LOCKED");
    const code = await loginCode(user.areaCode, user.phone);
    assert.ok(code, "a login code goes to a registered phone");
    assert.equal(stack.sms.sent.at(-1)?.purpose, "login");
    const wrong = await smsLogin(user, String((Number(code) + 1) % 1_000_000).padStart(6, "0"));
    assert.equal(wrong.status, 400);
    assert.equal(errorOf(wrong).key, "SMS_CODE_INVALID");
    const reply = await smsLogin(user, code, { resource: "ios", deviceId: "sms-phone" });
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    assert.equal(reply.body.user.userId, user.userId);
    assert.ok(await works(reply.body.accessToken));
    const items = await sessions(reply.body.accessToken);
    assert.ok(items.some((s) => s.current && s.resource === "ios" && s.deviceId === "sms-phone"));
    assert.equal(errorOf(await smsLogin(user, code)).key, "SMS_CODE_INVALID", "a code works once");
    assert.equal((await login(user)).status, 200, "the lock is lifted");
  });

  it("refuses SMS login for codes of another purpose, unregistered and disabled phones", async () => {
    const stranger = { areaCode: "86", phone: uniquePhone() };
    assert.equal(await loginCode(stranger.areaCode, stranger.phone), undefined, "no code goes to an unregistered phone");
    const guessed = await smsLogin(stranger, "123456");
    assert.equal(guessed.status, 400);
    assert.equal(errorOf(guessed).key, "SMS_CODE_INVALID");

    const user = await registerUser(stack, client);
    await stack.api.deps.redis.del(`rl:sms:phone:${user.areaCode}${user.phone}`);
    assert.equal(
      (await client.post("/v1/sms/codes", { areaCode: user.areaCode, phone: user.phone, purpose: "reset_password" })).status,
      202,
    );
    const resetCode = stack.sms.lastCode(user.areaCode, user.phone);
    assert.equal(errorOf(await smsLogin(user, resetCode)).key, "SMS_CODE_INVALID", "a reset code is not a login code");

    const disabled = await registerUser(stack, client);
    const code = await loginCode(disabled.areaCode, disabled.phone);
    assert.ok(code);
    await stack.api.deps.models.users.updateOne({ userId: disabled.userId }, { $set: { status: -1 } });
    const refused = await smsLogin(disabled, code);
    assert.equal(refused.status, 403);
    assert.equal(errorOf(refused).key, "ACCOUNT_DISABLED");
  });

  it("forgets earlier failures after a successful login", async () => {
    const user = await registerUser(stack, client);
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < MAX_FAILURES - 1; i++) assert.equal((await login(user, {}, "wrong-password")).status, 401);
      assert.equal((await login(user)).status, 200, `round ${round}`);
    }
  });

  it("also locks an unknown phone after repeated failures", async () => {
    const stranger = { areaCode: "86", phone: uniquePhone(), password: "whatever-password" };
    for (let i = 0; i < MAX_FAILURES; i++) assert.equal((await client.post("/v1/auth/login", stranger)).status, 401);
    const locked = await client.post("/v1/auth/login", stranger);
    assert.equal(locked.status, 429);
    assert.equal(errorOf(locked).key, "LOGIN_LOCKED");
  });

  it("refuses a disabled account", async () => {
    const user = await registerUser(stack, client);
    await stack.api.deps.models.users.updateOne({ userId: user.userId }, { $set: { status: -1 } });
    const reply = await login(user);
    assert.equal(reply.status, 403);
    assert.equal(errorOf(reply).key, "ACCOUNT_DISABLED");
  });
});
