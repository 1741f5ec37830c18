import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { ApiClient, errorOf } from "../support/client.js";
import { startStack, type TestStack } from "../support/stack.js";
import { registerUser, uniquePhone } from "../support/users.js";

const RESEND_SECONDS = 60;
const PER_DAY = 3;
const CODE_TTL = 120;

describe("sms codes", () => {
  let stack: TestStack;
  let client: ApiClient;
  before(async () => {
    stack = await startStack({
      API_SMS_RESEND_SECONDS: String(RESEND_SECONDS),
      API_SMS_MAX_PER_PHONE_PER_DAY: String(PER_DAY),
      API_SMS_CODE_TTL_SECONDS: String(CODE_TTL),
    });
    client = new ApiClient(stack.api.url);
  });
  after(() => stack.stop());

  const requestCode = (phone: string, purpose = "register", areaCode = "86") =>
    client.post<{ expiresInSeconds: number }>("/v1/sms/codes", { areaCode, phone, purpose });
  /** As if the resend interval had passed for this phone. */
  const skipResendWait = (telephone: string) => stack.api.deps.redis.del(`rl:sms:phone:${telephone}`);
  const records = (telephone: string) => stack.api.deps.models.smsRecords.find({ telephone }).sort({ time: 1 }).lean();
  /** The records once there are `count` (the provider is called and its outcome recorded after the answer). */
  const recordsOnce = async (telephone: string, count: number) => {
    for (let i = 0; i < 100; i++) {
      const found = await records(telephone);
      if (found.length >= count) return found;
      await sleep(20);
    }
    return records(telephone);
  };
  const register = (phone: string, smsCode: string) =>
    client.post("/v1/auth/register", { areaCode: "86", phone, password: "password-123", nickname: "sms", smsCode });

  it("sends a six-digit code, keeps it in Redis for its TTL, and records the send without the code", async () => {
    const phone = uniquePhone();
    const before = stack.sms.sent.length;
    const reply = await requestCode(phone);
    assert.equal(reply.status, 202, JSON.stringify(reply.body));
    assert.deepEqual(reply.body, { expiresInSeconds: CODE_TTL });
    assert.equal(stack.sms.sent.length, before + 1);
    const message = stack.sms.sent.at(-1);
    assert.deepEqual({ ...message, code: undefined }, { areaCode: "86", phone, purpose: "register", code: undefined });
    assert.match(message?.code ?? "", /^[0-9]{6}$/);
    assert.ok(!JSON.stringify(reply.body).includes(message?.code ?? "-"), "the code is not in the response");

    const key = `sms:code:register:86${phone}`;
    const ttl = await stack.api.deps.redis.ttl(key);
    assert.ok(ttl > 0 && ttl <= CODE_TTL, `ttl ${ttl}`);

    const [record] = await recordsOnce(`86${phone}`, 1);
    assert.ok(record);
    assert.equal(record.ok, true);
    assert.equal(record.purpose, "register");
    assert.equal(record.provider, "recording");
    assert.equal(record.areaCode, "86");
    assert.match(record.providerMessageId, /^rec-/);
    assert.ok(record.ip.length > 0);
    assert.ok(!JSON.stringify(record).includes(message?.code ?? "-"), "the record never holds the code");
  });

  it("answers a registered and an unregistered phone alike, sending only the codes that can be used", async () => {
    const user = await registerUser(stack, client);
    await skipResendWait(`86${user.phone}`);
    const unknownPhone = uniquePhone();
    const sent = stack.sms.sent.length;
    const fresh = await requestCode(uniquePhone(), "register"); // a code that is sent, for comparison
    assert.equal(stack.sms.sent.length, sent + 1);
    const shape = (reply: Awaited<ReturnType<typeof requestCode>>) => ({
      status: reply.status,
      body: reply.body,
      type: reply.headers.get("content-type"),
      retryAfter: reply.headers.get("retry-after"),
    });
    const taken = await requestCode(user.phone, "register");
    const unknownReset = await requestCode(unknownPhone, "reset_password");
    await skipResendWait(`86${unknownPhone}`);
    const unknownLogin = await requestCode(unknownPhone, "login");
    for (const reply of [taken, unknownReset, unknownLogin]) assert.deepEqual(shape(reply), shape(fresh));
    assert.equal(stack.sms.sent.length, sent + 1, "no code was sent where it could not be used");
    assert.equal(await stack.api.deps.redis.exists(`sms:code:register:86${user.phone}`), 0);
    assert.equal(await stack.api.deps.redis.exists(`sms:code:reset_password:86${unknownPhone}`), 0);
    assert.equal((await records(`86${unknownPhone}`)).length, 0);
    // The limits count those asks too, exactly as for a phone that got a code.
    const early = await requestCode(user.phone, "reset_password");
    assert.equal(early.status, 429);
    assert.equal(errorOf(early).key, "SMS_TOO_FREQUENT");
    // A registered phone gets reset and login codes (once its resend interval passed).
    await skipResendWait(`86${user.phone}`);
    assert.equal((await requestCode(user.phone, "reset_password")).status, 202);
    assert.equal(stack.sms.sent.at(-1)?.purpose, "reset_password");
    const other = await registerUser(stack, client);
    await skipResendWait(`86${other.phone}`);
    assert.equal((await requestCode(other.phone, "login")).status, 202);
    assert.deepEqual(stack.sms.sent.at(-1)?.phone, other.phone);
    assert.equal(stack.sms.sent.at(-1)?.purpose, "login");
  });

  it(`refuses a second code within ${RESEND_SECONDS}s with 429 SMS_TOO_FREQUENT`, async () => {
    const phone = uniquePhone();
    assert.equal((await requestCode(phone)).status, 202);
    const code = stack.sms.lastCode("86", phone);
    const sent = stack.sms.sent.length;
    const again = await requestCode(phone);
    assert.equal(again.status, 429, JSON.stringify(again.body));
    assert.equal(errorOf(again).key, "SMS_TOO_FREQUENT");
    const retryAfter = Number(again.headers.get("retry-after"));
    assert.ok(retryAfter > 0 && retryAfter <= RESEND_SECONDS, `retry-after ${retryAfter}`);
    assert.equal(errorOf(again).retryAfterSeconds, retryAfter);
    assert.equal(stack.sms.sent.length, sent, "no second SMS");
    // The interval is per phone: another phone is served at once.
    assert.equal((await requestCode(uniquePhone())).status, 202);
    // The first code is untouched by the refused request.
    const registered = await register(phone, code);
    assert.equal(registered.status, 201, JSON.stringify(registered.body));
  });

  it("does not count refused resends against the daily cap", async () => {
    const phone = uniquePhone();
    assert.equal((await requestCode(phone)).status, 202);
    // An impatient user taps "resend" again and again within the interval.
    for (let i = 0; i < PER_DAY + 2; i++) {
      const early = await requestCode(phone);
      assert.equal(early.status, 429);
      assert.ok(Number(early.headers.get("retry-after")) <= RESEND_SECONDS, "refused by the resend interval");
    }
    await skipResendWait(`86${phone}`);
    const later = await requestCode(phone);
    assert.equal(later.status, 202, `once the interval passed a second code is sent: ${JSON.stringify(later.body)}`);
  });

  it("replaces the earlier code when a new one is sent", async () => {
    const phone = uniquePhone();
    assert.equal((await requestCode(phone)).status, 202);
    const first = stack.sms.lastCode("86", phone);
    await skipResendWait(`86${phone}`);
    assert.equal((await requestCode(phone)).status, 202);
    const second = stack.sms.lastCode("86", phone);
    if (first !== second) {
      const old = await register(phone, first);
      assert.equal(errorOf(old).key, "SMS_CODE_INVALID", "the first code was replaced");
    }
    assert.equal((await register(phone, second)).status, 201);
  });

  it("refuses an expired code", async () => {
    const phone = uniquePhone();
    assert.equal((await requestCode(phone)).status, 202);
    const code = stack.sms.lastCode("86", phone);
    assert.equal(await stack.api.deps.redis.pexpire(`sms:code:register:86${phone}`, 1), 1);
    await sleep(20);
    const reply = await register(phone, code);
    assert.equal(reply.status, 400);
    assert.equal(errorOf(reply).key, "SMS_CODE_INVALID");
  });

  it(`sends at most ${PER_DAY} codes per phone per day`, async () => {
    const phone = uniquePhone();
    for (let i = 0; i < PER_DAY; i++) {
      const reply = await requestCode(phone);
      assert.equal(reply.status, 202, `code ${i + 1}: ${JSON.stringify(reply.body)}`);
      await skipResendWait(`86${phone}`);
    }
    const capped = await requestCode(phone);
    assert.equal(capped.status, 429);
    assert.equal(errorOf(capped).key, "SMS_TOO_FREQUENT");
    const retryAfter = Number(capped.headers.get("retry-after"));
    assert.ok(retryAfter > RESEND_SECONDS && retryAfter <= 86_400, `the day window, not the resend interval: ${retryAfter}`);
    assert.equal((await recordsOnce(`86${phone}`, PER_DAY)).length, PER_DAY);
    // The cap counts both purposes together.
    const user = await registerUser(stack, client);
    for (let i = 1; i < PER_DAY; i++) {
      await skipResendWait(`86${user.phone}`);
      assert.equal((await requestCode(user.phone, "reset_password")).status, 202);
    }
    await skipResendWait(`86${user.phone}`);
    assert.equal((await requestCode(user.phone, "reset_password")).status, 429);
  });

  it("answers alike when the provider fails, records the failure, and lets the user ask again at once", async () => {
    const phone = uniquePhone();
    stack.sms.failNext = true;
    const failed = await requestCode(phone);
    // The provider is called in the background: its failure must not make this answer differ from others.
    assert.equal(failed.status, 202, JSON.stringify(failed.body));
    assert.deepEqual(failed.body, { expiresInSeconds: CODE_TTL });
    const [record] = await recordsOnce(`86${phone}`, 1);
    assert.ok(record);
    assert.equal(record.ok, false);
    assert.equal(record.error, "provider refused");
    assert.equal(record.providerMessageId, "");
    assert.equal(await stack.api.deps.redis.exists(`sms:code:register:86${phone}`), 0, "no code is kept that nobody received");

    // The user did not get a code; asking again must not be refused as "too frequent".
    const retry = await requestCode(phone);
    assert.equal(retry.status, 202, JSON.stringify(retry.body));
    const code = stack.sms.lastCode("86", phone);
    assert.equal((await register(phone, code)).status, 201);
    assert.deepEqual(
      (await recordsOnce(`86${phone}`, 2)).map((r) => r.ok),
      [false, true],
    );
  });

  it("never stores a sent code in SmsRecord", async () => {
    const all = await stack.api.deps.models.smsRecords.find({}).lean();
    assert.ok(all.length >= stack.sms.sent.length);
    const text = JSON.stringify(all);
    for (const message of stack.sms.sent) {
      // A code could by chance appear inside an ObjectId or a phone number; look at the fields values only.
      for (const record of all) {
        assert.ok(!Object.values(record).some((value) => value === message.code), "no field equals a code");
      }
    }
    assert.ok(!/"code"/.test(text), "no field named code");
  });
});

describe("sms codes against enumeration", () => {
  const PER_IP = 20;
  let stack: TestStack;
  let client: ApiClient;
  before(async () => {
    // Accounts are registered without codes here, so the per-IP budget is all the prober's.
    stack = await startStack({ API_SMS_REQUIRED: "false", API_SMS_MAX_PER_IP_PER_HOUR: String(PER_IP), API_SMS_RESEND_SECONDS: "60" });
    client = new ApiClient(stack.api.url);
  });
  after(() => stack.stop());

  it("rate-limits 300 asks before any answer tells a registered phone from another", async () => {
    // Enough accounts that no phone is asked twice before the per-IP limit (the per-phone one would answer first).
    const users = await Promise.all(Array.from({ length: PER_IP }, () => registerUser(stack, client)));
    const answers: Array<{ registered: boolean; status: number; body: string }> = [];
    for (let i = 0; i < 300; i++) {
      const registered = i % 2 === 0;
      const phone = registered ? (users[(i >> 1) % users.length]?.phone ?? "") : uniquePhone();
      const purpose = (["register", "reset_password", "login"] as const)[i % 3];
      const reply = await client.post("/v1/sms/codes", { areaCode: "86", phone, purpose });
      const body = reply.status === 429 ? "limited" : JSON.stringify(reply.body);
      answers.push({ registered, status: reply.status, body });
    }
    const firstLimited = answers.findIndex((a) => a.status === 429);
    assert.ok(firstLimited >= 0 && firstLimited <= PER_IP, `limited from ask ${firstLimited + 1}`);
    const beforeLimit = answers.slice(0, firstLimited);
    assert.ok(beforeLimit.some((a) => a.registered) && beforeLimit.some((a) => !a.registered));
    assert.equal(new Set(beforeLimit.map((a) => `${a.status} ${a.body}`)).size, 1, "every answer before the limit is the same");
    assert.deepEqual(new Set(answers.slice(firstLimited).map((a) => a.status)), new Set([429]), "and every one after it is 429");
  });
});
