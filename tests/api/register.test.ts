import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type RunningApi, startApi } from "@im/api";
import { createLogger } from "@im/telemetry";
import { ApiClient, errorOf } from "../support/client.js";
import { startStack, type TestStack } from "../support/stack.js";
import { registerUser, uniquePhone } from "../support/users.js";
import { assertInvalid } from "../support/validation.js";

const PASSWORD = "Secret-Passw0rd-that-is-long";
const MAX_ATTEMPTS = 3;

interface LoginResult {
  accessToken: string;
  expiresAt: number;
  sessionId: string;
  user: Record<string, unknown> & { userId: number; settings: Record<string, number> };
}

describe("register", () => {
  let stack: TestStack;
  let client: ApiClient;
  before(async () => {
    stack = await startStack({ API_SMS_MAX_ATTEMPTS: String(MAX_ATTEMPTS) });
    client = new ApiClient(stack.api.url);
  });
  after(() => stack.stop());

  const requestCode = async (phone: string, purpose: "register" | "reset_password" = "register", areaCode = "86") => {
    const sent = await client.post("/v1/sms/codes", { areaCode, phone, purpose });
    assert.equal(sent.status, 202, JSON.stringify(sent.body));
    return stack.sms.lastCode(areaCode, phone);
  };
  const register = (body: Record<string, unknown>) => client.post<LoginResult>("/v1/auth/register", body);
  /** A six-digit code different from `code`. */
  const wrongCode = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, "0");

  it("registers, logs in and returns the self view without the password", async () => {
    const phone = uniquePhone();
    const smsCode = await requestCode(phone);
    const before = Date.now();
    const reply = await register({
      areaCode: "86",
      phone,
      password: PASSWORD,
      smsCode,
      nickname: "  Alice 爱丽丝  ",
      sex: 2,
      birthday: 631152000000,
      description: "hello",
      countryId: 1,
      provinceId: 2,
      cityId: 3,
      areaId: 4,
      resource: "ios",
      deviceId: "iphone-1",
    });
    assert.equal(reply.status, 201, JSON.stringify(reply.body));
    const { accessToken, expiresAt, sessionId, user } = reply.body;
    assert.match(accessToken, /^[A-Za-z0-9_-]{43,}$/);
    assert.match(sessionId, /^[0-9a-f-]{36}$/);
    assert.ok(expiresAt > before + 3600_000, "the token lives for the configured TTL");
    assert.ok(user.userId > 100_000);
    assert.equal(user.nickname, "Alice 爱丽丝", "trimmed");
    assert.equal(user.areaCode, "86");
    assert.equal(user.phone, phone);
    assert.equal(user.telephone, `86${phone}`);
    assert.equal(user.sex, 2);
    assert.equal(user.birthday, 631152000000);
    assert.equal(user.description, "hello");
    assert.deepEqual([user.countryId, user.provinceId, user.cityId, user.areaId], [1, 2, 3, 4]);
    assert.equal(user.userType, 1);
    assert.equal(user.status, 0);
    assert.equal(user.avatarUrl, "");
    assert.deepEqual(user.settings, {
      allowAtt: 1,
      allowGreet: 1,
      friendsVerify: 1,
      multipleDevices: 1,
      offlineNoPush: 0,
      pushPreview: 1,
      pushMentions: 1,
      closeTelephoneFind: 0,
      chatRecordTimeOut: -1,
    });
    assert.ok(Number(user.createTime) >= before && Number(user.createTime) <= Date.now());

    const text = JSON.stringify(reply.body);
    assert.ok(!text.includes(PASSWORD), "the password is never returned");
    assert.ok(!/password/i.test(text), "no password field of any kind is returned");
    assert.ok(!text.includes(smsCode) || accessToken.includes(smsCode), "the SMS code is not echoed");

    const me = await client.get<Record<string, unknown>>("/v1/users/me", accessToken);
    assert.equal(me.status, 200);
    assert.equal(me.body.userId, user.userId);
    assert.ok(!/password/i.test(JSON.stringify(me.body)));

    const doc = await stack.api.deps.models.users.findOne({ userId: user.userId }).lean();
    assert.ok(doc);
    assert.ok(doc.passwordHash.startsWith("scrypt$"), doc.passwordHash);
    assert.ok(!doc.passwordHash.includes(PASSWORD));
    assert.ok(!JSON.stringify(doc).includes(PASSWORD), "the sent password is stored nowhere");
    assert.equal(doc.loginLog?.resource, "ios");
    assert.equal(doc.loginLog?.deviceId, "iphone-1");

    const login = await client.post<LoginResult>("/v1/auth/login", { areaCode: "86", phone, password: PASSWORD });
    assert.equal(login.status, 200, JSON.stringify(login.body));
    assert.equal(login.body.user.userId, user.userId);
  });

  it("accepts the longest nickname and password, and fills defaults", async () => {
    const phone = uniquePhone();
    const smsCode = await requestCode(phone, "register", "852");
    const nickname = "昵".repeat(32);
    const password = "p".repeat(128);
    const reply = await register({ areaCode: "852", phone, password, smsCode, nickname });
    assert.equal(reply.status, 201, JSON.stringify(reply.body));
    assert.equal(reply.body.user.nickname, nickname);
    assert.equal(reply.body.user.telephone, `852${phone}`);
    assert.equal(reply.body.user.sex, 0);
    assert.equal(reply.body.user.description, "");
    const login = await client.post("/v1/auth/login", { areaCode: "852", phone, password });
    assert.equal(login.status, 200);
    const wrongArea = await client.post("/v1/auth/login", { areaCode: "86", phone, password });
    assert.equal(wrongArea.status, 401, "the area code is part of the identity");
  });

  it("requires an SMS code", async () => {
    const phone = uniquePhone();
    const missing = await register({ areaCode: "86", phone, password: PASSWORD, nickname: "nocode" });
    assert.equal(missing.status, 400);
    assert.equal(errorOf(missing).key, "SMS_CODE_INVALID");

    const noneIssued = await register({ areaCode: "86", phone, password: PASSWORD, nickname: "nocode", smsCode: "123456" });
    assert.equal(noneIssued.status, 400);
    assert.equal(errorOf(noneIssued).key, "SMS_CODE_INVALID");

    const code = await requestCode(phone);
    const wrong = await register({ areaCode: "86", phone, password: PASSWORD, nickname: "nocode", smsCode: wrongCode(code) });
    assert.equal(wrong.status, 400);
    assert.equal(errorOf(wrong).key, "SMS_CODE_INVALID");
    assert.equal(await stack.api.deps.models.users.countDocuments({ telephone: `86${phone}` }), 0);

    // One wrong guess does not burn the code.
    const right = await register({ areaCode: "86", phone, password: PASSWORD, nickname: "nocode", smsCode: code });
    assert.equal(right.status, 201, JSON.stringify(right.body));
  });

  it("refuses a code that was already used", async () => {
    const phone = uniquePhone();
    const code = await requestCode(phone);
    const first = await register({ areaCode: "86", phone, password: PASSWORD, nickname: "once", smsCode: code });
    assert.equal(first.status, 201);
    // With the account gone, the same code must still not work a second time.
    await stack.api.deps.models.users.deleteOne({ userId: first.body.user.userId });
    const again = await register({ areaCode: "86", phone, password: PASSWORD, nickname: "twice", smsCode: code });
    assert.equal(again.status, 400, JSON.stringify(again.body));
    assert.equal(errorOf(again).key, "SMS_CODE_INVALID");
  });

  it("refuses a code sent to another phone or for another purpose", async () => {
    const phoneA = uniquePhone();
    const phoneB = uniquePhone();
    const codeA = await requestCode(phoneA);
    const onB = await register({ areaCode: "86", phone: phoneB, password: PASSWORD, nickname: "b", smsCode: codeA });
    assert.equal(onB.status, 400);
    assert.equal(errorOf(onB).key, "SMS_CODE_INVALID");
    const sameNumberOtherArea = await register({ areaCode: "852", phone: phoneA, password: PASSWORD, nickname: "a", smsCode: codeA });
    assert.equal(errorOf(sameNumberOtherArea).key, "SMS_CODE_INVALID");

    // A reset_password code (issued while the phone was registered) is not a registration code.
    const owner = await registerUser(stack, client);
    await stack.api.deps.redis.del(`rl:sms:phone:86${owner.phone}`); // as if the resend interval had passed
    const code = await requestCode(owner.phone, "reset_password");
    await stack.api.deps.models.users.deleteOne({ userId: owner.userId });
    const wrongPurpose = await register({ areaCode: "86", phone: owner.phone, password: PASSWORD, nickname: "p", smsCode: code });
    assert.equal(wrongPurpose.status, 400);
    assert.equal(errorOf(wrongPurpose).key, "SMS_CODE_INVALID");

    // Phone A's own code still works: the failed tries elsewhere did not touch it.
    const onA = await register({ areaCode: "86", phone: phoneA, password: PASSWORD, nickname: "a", smsCode: codeA });
    assert.equal(onA.status, 201, JSON.stringify(onA.body));
  });

  it(`burns a code after ${MAX_ATTEMPTS} wrong guesses`, async () => {
    const phone = uniquePhone();
    const code = await requestCode(phone);
    for (let i = 0; i < MAX_ATTEMPTS; i++) {
      const guess = String((Number(code) + 1 + i) % 1_000_000).padStart(6, "0");
      const reply = await register({ areaCode: "86", phone, password: PASSWORD, nickname: "guess", smsCode: guess });
      assert.equal(errorOf(reply).key, "SMS_CODE_INVALID");
    }
    const right = await register({ areaCode: "86", phone, password: PASSWORD, nickname: "guess", smsCode: code });
    assert.equal(right.status, 400, "the right code no longer works");
    assert.equal(errorOf(right).key, "SMS_CODE_INVALID");
    assert.equal(await stack.api.deps.models.users.countDocuments({ telephone: `86${phone}` }), 0);
  });

  it("tells that a phone is already registered only after a valid code", async () => {
    const user = await registerUser(stack, client);
    await stack.api.deps.redis.del(`rl:sms:phone:86${user.phone}`); // as if the resend interval had passed
    const sent = stack.sms.sent.length;
    const sms = await client.post("/v1/sms/codes", { areaCode: "86", phone: user.phone, purpose: "register" });
    assert.equal(sms.status, 202, "the same answer as for any phone");
    assert.equal(stack.sms.sent.length, sent, "but no registration code goes to a registered phone");
    // Without a valid code the registration answers as for any phone: the code is wrong.
    const guess = await register({ areaCode: "86", phone: user.phone, password: PASSWORD, nickname: "dup", smsCode: "000000" });
    assert.equal(guess.status, 400, JSON.stringify(guess.body));
    assert.equal(errorOf(guess).key, "SMS_CODE_INVALID");
    const unknown = await register({ areaCode: "86", phone: uniquePhone(), password: PASSWORD, nickname: "dup", smsCode: "000000" });
    assert.deepEqual(
      [unknown.status, errorOf(unknown).key, errorOf(unknown).message],
      [guess.status, errorOf(guess).key, errorOf(guess).message],
    );

    // With a valid code (the phone was registered by someone else after the code was sent): 409.
    const phone = uniquePhone();
    const code = await requestCode(phone);
    const winner = await register({ areaCode: "86", phone, password: PASSWORD, nickname: "first", smsCode: code });
    assert.equal(winner.status, 201);
    await stack.api.deps.redis.del(`rl:sms:phone:86${phone}`);
    // A second, valid code for the now registered phone cannot be had by SMS; plant one as if sent just before.
    await stack.api.deps.redis.hset(`sms:code:register:86${phone}`, { code: "123456", attempts: "0" });
    const again = await register({ areaCode: "86", phone, password: PASSWORD, nickname: "second", smsCode: "123456" });
    assert.equal(again.status, 409, JSON.stringify(again.body));
    assert.equal(errorOf(again).key, "PHONE_ALREADY_REGISTERED");
    assert.equal(errorOf(again).code, 3001);
    assert.equal(await stack.api.deps.models.users.countDocuments({ telephone: `86${user.phone}` }), 1);
    // The original password still works: the refused registration changed nothing.
    assert.equal((await client.post("/v1/auth/login", { areaCode: "86", phone: user.phone, password: user.password })).status, 200);
  });

  it("refuses bad input with VALIDATION_FAILED naming the field, never 500", async () => {
    const phone = uniquePhone();
    const good = { areaCode: "86", phone, password: PASSWORD, nickname: "ok", smsCode: "123456" };
    const cases: [Record<string, unknown>, string][] = [
      [{ ...good, areaCode: undefined }, "body.areaCode"],
      [{ ...good, phone: undefined }, "body.phone"],
      [{ ...good, password: undefined }, "body.password"],
      [{ ...good, nickname: undefined }, "body.nickname"],
      [{ ...good, phone: 13800000000 }, "body.phone"],
      [{ ...good, phone: "138-0000-0000" }, "body.phone"],
      [{ ...good, phone: "1234" }, "body.phone"],
      [{ ...good, phone: "1".repeat(16) }, "body.phone"],
      [{ ...good, phone: { $gt: "" } }, "body.phone"],
      [{ ...good, password: ["a", "b"] }, "body.password"],
      [{ ...good, password: { $ne: null } }, "body.password"],
      [{ ...good, password: "short" }, "body.password"],
      [{ ...good, password: "p".repeat(129) }, "body.password"],
      [{ ...good, nickname: "n".repeat(33) }, "body.nickname"],
      [{ ...good, nickname: "   " }, "body.nickname"],
      [{ ...good, nickname: "bad\u0000name" }, "body.nickname"],
      [{ ...good, nickname: "bell\u0007" }, "body.nickname"],
      [{ ...good, nickname: 42 }, "body.nickname"],
      [{ ...good, areaCode: "+86" }, "body.areaCode"],
      [{ ...good, areaCode: "0" }, "body.areaCode"],
      [{ ...good, areaCode: "12345" }, "body.areaCode"],
      [{ ...good, areaCode: "ab" }, "body.areaCode"],
      [{ ...good, areaCode: 86 }, "body.areaCode"],
      [{ ...good, smsCode: "12345" }, "body.smsCode"],
      [{ ...good, smsCode: 123456 }, "body.smsCode"],
      [{ ...good, sex: 3 }, "body.sex"],
      [{ ...good, sex: "1" }, "body.sex"],
      [{ ...good, birthday: 1.5 }, "body.birthday"],
      [{ ...good, description: "d".repeat(201) }, "body.description"],
      [{ ...good, countryId: -1 }, "body.countryId"],
      [{ ...good, resource: "windows" }, "body.resource"],
      [{ ...good, resource: "Server" }, "body.resource"],
      [{ ...good, deviceId: "has space" }, "body.deviceId"],
      [{ ...good, deviceId: "d".repeat(129) }, "body.deviceId"],
    ];
    for (const [body, field] of cases) {
      assertInvalid(await register(body), field, JSON.stringify(body));
    }
    const empty = await register({});
    for (const field of ["body.areaCode", "body.phone", "body.password", "body.nickname"]) assertInvalid(empty, field, "{}");
    assert.equal(await stack.api.deps.models.users.countDocuments({ phone }), 0);
  });

  it("refuses bad login and SMS input with VALIDATION_FAILED naming the field", async () => {
    const user = await registerUser(stack, client);
    const good = { areaCode: "86", phone: user.phone, password: user.password };
    const cases: [Record<string, unknown>, string][] = [
      [{ ...good, phone: { $gt: "" } }, "body.phone"],
      [{ ...good, password: { $ne: null } }, "body.password"],
      [{ ...good, password: { $gt: "" } }, "body.password"],
      [{ ...good, password: ["x"] }, "body.password"],
      [{ ...good, phone: 13800000000 }, "body.phone"],
      [{ ...good, areaCode: { $exists: true } }, "body.areaCode"],
      [{ ...good, areaCode: undefined }, "body.areaCode"],
      [{ ...good, password: undefined }, "body.password"],
      [{ ...good, password: "p".repeat(129) }, "body.password"],
      [{ ...good, resource: 1 }, "body.resource"],
      // The platform's own resource: system notices carry it, no client may claim it.
      [{ ...good, resource: "Server" }, "body.resource"],
    ];
    for (const [body, field] of cases) {
      assertInvalid(await client.post("/v1/auth/login", body), field, `login ${JSON.stringify(body)}`);
    }
    const smsLogin: [Record<string, unknown>, string][] = [
      [{ areaCode: "86", phone: user.phone }, "body.smsCode"],
      [{ areaCode: "86", phone: user.phone, smsCode: "12345" }, "body.smsCode"],
      [{ areaCode: "86", phone: user.phone, smsCode: { $ne: "" } }, "body.smsCode"],
      [{ areaCode: "86", phone: user.phone, smsCode: "123456", resource: "Server" }, "body.resource"],
    ];
    for (const [body, field] of smsLogin) {
      assertInvalid(await client.post("/v1/auth/login/sms", body), field, `sms login ${JSON.stringify(body)}`);
    }
    // None of the refused bodies counted as a failed login.
    assert.equal((await client.post("/v1/auth/login", good)).status, 200);

    const sms: [Record<string, unknown>, string][] = [
      [{ areaCode: "86", phone: uniquePhone() }, "body.purpose"],
      [{ areaCode: "86", phone: uniquePhone(), purpose: "logout" }, "body.purpose"],
      [{ areaCode: "86", phone: { $ne: "" }, purpose: "register" }, "body.phone"],
      [{ areaCode: "x", phone: uniquePhone(), purpose: "register" }, "body.areaCode"],
    ];
    for (const [body, field] of sms) {
      assertInvalid(await client.post("/v1/sms/codes", body), field, `sms ${JSON.stringify(body)}`);
    }
    const resets: [Record<string, unknown>, string][] = [
      [{ areaCode: "86", phone: user.phone, newPassword: "newpassword" }, "body.smsCode"],
      [{ areaCode: "86", phone: user.phone, smsCode: { $ne: "" }, newPassword: "newpassword" }, "body.smsCode"],
      [{ areaCode: "86", phone: user.phone, smsCode: "123456", newPassword: "x" }, "body.newPassword"],
    ];
    for (const [body, field] of resets) {
      assertInvalid(await client.post("/v1/auth/password/reset", body), field, `reset ${JSON.stringify(body)}`);
    }
  });

  describe("system accounts", () => {
    it("exist after start as non-user accounts without a password", async () => {
      const docs = await stack.api.deps.models.users
        .find({ userId: { $in: [10000, 10005] } })
        .sort({ userId: 1 })
        .lean();
      assert.deepEqual(
        docs.map((d) => d.userId),
        [10000, 10005],
      );
      for (const doc of docs) {
        assert.equal(doc.userType, 2);
        assert.equal(doc.passwordHash, "");
        assert.equal(doc.telephone, `system:${doc.userId}`);
      }
      const user = await registerUser(stack, client);
      const view = await client.get<{ userId: number; nickname: string }>("/v1/users/10005", user.token);
      assert.equal(view.status, 200);
      assert.equal(view.body.nickname, "系统通知");
    });

    it("are not duplicated when more API replicas start on the same database", async () => {
      const logger = createLogger({ name: "api-replica", level: "silent" });
      const replicas: RunningApi[] = await Promise.all([
        startApi(stack.config, { sms: stack.sms, logger }),
        startApi(stack.config, { sms: stack.sms, logger }),
      ]);
      try {
        for (const userId of [10000, 10005]) {
          assert.equal(await stack.api.deps.models.users.countDocuments({ userId }), 1, `one account ${userId}`);
        }
        assert.equal(await stack.api.deps.models.clientConfig.countDocuments({}), 1, "one client config");
        for (const replica of replicas) {
          const replicaClient = new ApiClient(replica.url);
          assert.equal((await replicaClient.get("/readyz")).status, 200);
          // A replica serves users registered through another one.
          const user = await registerUser(stack, replicaClient);
          assert.equal((await client.get("/v1/users/me", user.token)).status, 200);
        }
      } finally {
        await Promise.all(replicas.map((replica) => replica.close()));
      }
    });

    it("cannot be logged in as", async () => {
      const attempts: Record<string, unknown>[] = [
        { areaCode: "0", phone: "", password: "anything-at-all" },
        { areaCode: "system", phone: "10000", password: "anything-at-all" },
        { areaCode: "86", phone: "system:10000", password: "anything-at-all" },
        { telephone: "system:10005", password: "" },
      ];
      for (const body of attempts) {
        const reply = await client.post("/v1/auth/login", body);
        assert.ok(reply.status === 400 || reply.status === 401, `${JSON.stringify(body)} → ${reply.status}`);
        assert.equal(reply.body && typeof reply.body === "object" && "accessToken" in reply.body, false);
      }
      // Even a password matching the stored (empty) hash is refused: the decoy path always fails.
      const doc = await stack.api.deps.models.users.findOne({ userId: 10000 }).lean();
      assert.equal(doc?.passwordHash, "");
      const sms = await client.post("/v1/sms/codes", { areaCode: "0", phone: "10000", purpose: "reset_password" });
      assert.equal(sms.status, 400, "no reset code can be requested for a system account");
    });
  });
});
