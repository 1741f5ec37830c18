import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ApiClient, errorOf } from "../support/client.js";
import { startStack, type TestStack } from "../support/stack.js";
import { registerUser, type TestUser, uniquePhone } from "../support/users.js";
import { assertInvalid } from "../support/validation.js";

const MAX_FAILURES = 2;
const NEW_PASSWORD = "brand-new-password-42";

describe("password change and reset", () => {
  let stack: TestStack;
  let client: ApiClient;
  before(async () => {
    stack = await startStack({ API_LOGIN_MAX_FAILURES: String(MAX_FAILURES) });
    client = new ApiClient(stack.api.url);
  });
  after(() => stack.stop());

  const login = (user: TestUser, password: string) =>
    client.post<{ accessToken: string }>("/v1/auth/login", { areaCode: user.areaCode, phone: user.phone, password });
  const works = async (token: string) => (await client.get("/v1/users/me", token)).status === 200;
  const storedHash = async (userId: number) => (await stack.api.deps.models.users.findOne({ userId }).lean())?.passwordHash ?? "";
  /** Asks for a reset code (as if the resend interval had passed) and returns it. */
  const resetCode = async (user: TestUser) => {
    await stack.api.deps.redis.del(`rl:sms:phone:${user.areaCode}${user.phone}`);
    const sent = await client.post("/v1/sms/codes", { areaCode: user.areaCode, phone: user.phone, purpose: "reset_password" });
    assert.equal(sent.status, 202, JSON.stringify(sent.body));
    const code = stack.sms.lastCode(user.areaCode, user.phone);
    assert.equal(stack.sms.sent.at(-1)?.purpose, "reset_password");
    return code;
  };
  const reset = (user: TestUser, smsCode: string, newPassword = NEW_PASSWORD) =>
    client.post("/v1/auth/password/reset", { areaCode: user.areaCode, phone: user.phone, smsCode, newPassword });

  describe("change", () => {
    it("locks password changes after too many wrong current passwords, even with the right one", async () => {
      const user = await registerUser(stack, client);
      const change = (oldPassword: string) =>
        client.post("/v1/auth/password/change", { oldPassword, newPassword: NEW_PASSWORD }, user.token);
      for (let i = 0; i < MAX_FAILURES; i++) assert.equal(errorOf(await change("wrong-guess-1")).key, "PASSWORD_INCORRECT");
      const locked = await change(user.password);
      assert.equal(locked.status, 429);
      assert.equal(errorOf(locked).key, "LOGIN_LOCKED");
      assert.ok(Number(locked.headers.get("retry-after")) > 0);
      assert.equal(await works(user.token), true, "nothing changed, the session lives");
    });

    it("refuses a wrong current password with 403 PASSWORD_INCORRECT and changes nothing", async () => {
      const user = await registerUser(stack, client);
      const hash = await storedHash(user.userId);
      const reply = await client.post(
        "/v1/auth/password/change",
        { oldPassword: "not-my-password", newPassword: NEW_PASSWORD },
        user.token,
      );
      assert.equal(reply.status, 403);
      assert.equal(errorOf(reply).key, "PASSWORD_INCORRECT");
      assert.equal(await storedHash(user.userId), hash);
      assert.ok(await works(user.token), "the session survives");
      assert.equal((await login(user, user.password)).status, 200);
    });

    it("changes the password and ends every session, the current one included", async () => {
      const user = await registerUser(stack, client);
      const other = await login(user, user.password);
      assert.equal(other.status, 200);
      const before = await storedHash(user.userId);
      const reply = await client.post("/v1/auth/password/change", { oldPassword: user.password, newPassword: NEW_PASSWORD }, user.token);
      assert.equal(reply.status, 204, JSON.stringify(reply.body));
      assert.equal(reply.body, "");

      assert.equal(await works(user.token), false, "the current session ended");
      assert.equal(await works(other.body.accessToken), false, "the other device's session ended");
      const members = await stack.api.deps.redis.zrange(`auth:user:${user.userId}:sessions`, 0, -1);
      assert.deepEqual(members, []);

      const old = await login(user, user.password);
      assert.equal(old.status, 401);
      assert.equal(errorOf(old).key, "LOGIN_FAILED");
      const fresh = await login(user, NEW_PASSWORD);
      assert.equal(fresh.status, 200);
      assert.ok(await works(fresh.body.accessToken));

      const after = await storedHash(user.userId);
      assert.notEqual(after, before);
      assert.ok(after.startsWith("scrypt$"));
      assert.ok(!after.includes(NEW_PASSWORD));
    });

    it("validates its input and needs a token", async () => {
      const user = await registerUser(stack, client);
      const path = "/v1/auth/password/change";
      assertInvalid(await client.post(path, { oldPassword: user.password }, user.token), "body.newPassword");
      assertInvalid(await client.post(path, { newPassword: NEW_PASSWORD }, user.token), "body.oldPassword");
      assertInvalid(await client.post(path, { oldPassword: user.password, newPassword: "short" }, user.token), "body.newPassword");
      assertInvalid(await client.post(path, { oldPassword: user.password, newPassword: "x".repeat(129) }, user.token), "body.newPassword");
      assertInvalid(await client.post(path, { oldPassword: { $ne: null }, newPassword: NEW_PASSWORD }, user.token), "body.oldPassword");
      const anonymous = await client.post(path, { oldPassword: user.password, newPassword: NEW_PASSWORD });
      assert.equal(anonymous.status, 401);
      assert.equal(errorOf(anonymous).key, "TOKEN_MISSING");
      assert.equal((await login(user, user.password)).status, 200, "nothing changed");
    });
  });

  describe("reset with an SMS code", () => {
    it("sets a new password and ends every session", async () => {
      const user = await registerUser(stack, client);
      const other = await login(user, user.password);
      const code = await resetCode(user);
      const reply = await reset(user, code);
      assert.equal(reply.status, 204, JSON.stringify(reply.body));
      assert.equal(await works(user.token), false);
      assert.equal(await works(other.body.accessToken), false);
      assert.equal((await login(user, user.password)).status, 401, "the old password is gone");
      assert.equal((await login(user, NEW_PASSWORD)).status, 200);
      assert.ok((await storedHash(user.userId)).startsWith("scrypt$"));
    });

    it("refuses a wrong, reused, foreign or register-purpose code and keeps the password", async () => {
      const user = await registerUser(stack, client);
      const code = await resetCode(user);
      const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, "0");
      const bad = await reset(user, wrong);
      assert.equal(bad.status, 400);
      assert.equal(errorOf(bad).key, "SMS_CODE_INVALID");
      assert.equal((await login(user, user.password)).status, 200, "the password is unchanged");

      assert.equal((await reset(user, code)).status, 204);
      const reused = await reset(user, code, "another-password-1");
      assert.equal(reused.status, 400);
      assert.equal(errorOf(reused).key, "SMS_CODE_INVALID");
      assert.equal((await login(user, NEW_PASSWORD)).status, 200, "the reused code changed nothing");

      // A code sent to another phone does not reset this one.
      const victim = await registerUser(stack, client);
      const attacker = await registerUser(stack, client);
      const attackerCode = await resetCode(attacker);
      const foreign = await reset(victim, attackerCode);
      assert.equal(errorOf(foreign).key, "SMS_CODE_INVALID");
      assert.equal((await login(victim, victim.password)).status, 200);

      // A registration code is not a reset code.
      const phone = uniquePhone();
      assert.equal((await client.post("/v1/sms/codes", { areaCode: "86", phone, purpose: "register" })).status, 202);
      const registerCode = stack.sms.lastCode("86", phone);
      const signedUp = await client.post("/v1/auth/register", {
        areaCode: "86",
        phone,
        password: "first-password",
        nickname: "late",
        smsCode: registerCode,
      });
      assert.equal(signedUp.status, 201);
      const newcomer: TestUser = {
        userId: 0,
        token: "",
        areaCode: "86",
        phone,
        password: "first-password",
        nickname: "late",
      };
      const crossPurpose = await reset(newcomer, registerCode);
      assert.equal(errorOf(crossPurpose).key, "SMS_CODE_INVALID");
    });

    it("lifts a login lock", async () => {
      const user = await registerUser(stack, client);
      for (let i = 0; i < MAX_FAILURES; i++) assert.equal((await login(user, "wrong-password")).status, 401);
      const locked = await login(user, user.password);
      assert.equal(locked.status, 429);
      assert.equal(errorOf(locked).key, "LOGIN_LOCKED");
      assert.equal((await reset(user, await resetCode(user))).status, 204);
      const after = await login(user, NEW_PASSWORD);
      assert.equal(after.status, 200, JSON.stringify(after.body));
    });

    it("answers 404 PHONE_NOT_REGISTERED when the account vanished after the code was sent", async () => {
      const user = await registerUser(stack, client);
      const code = await resetCode(user);
      await stack.api.deps.models.users.deleteOne({ userId: user.userId });
      const reply = await reset(user, code);
      assert.equal(reply.status, 404);
      assert.equal(errorOf(reply).key, "PHONE_NOT_REGISTERED");
    });
  });
});
