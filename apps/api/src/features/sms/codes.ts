import { randomInt } from "node:crypto";
import { hitRateLimit } from "@im/infra";
import { AppError } from "@im/protocol";
import type { ApiDeps } from "../../context.js";
import type { SmsMessage } from "./provider.js";

export type SmsPurpose = SmsMessage["purpose"];

const codeKey = (purpose: SmsPurpose, telephone: string) => `sms:code:${purpose}:${telephone}`;

interface IssueInput {
  areaCode: string;
  phone: string;
  purpose: SmsPurpose;
  ip: string;
}

/**
 * Whether a code for `purpose` can be of use to this phone: a registration code only for a phone not yet
 * registered, a reset or login code only for a registered one.
 */
async function codeIsOfUse(deps: ApiDeps, purpose: SmsPurpose, telephone: string): Promise<boolean> {
  const registered = (await deps.models.users.exists({ telephone })) !== null;
  return purpose === "register" ? !registered : registered;
}

/**
 * Issues a 6-digit code: rate-limited per phone (one per resend interval, N per day) and per IP — counted
 * first, for every ask — then, only when the code can be of use to the phone (see `codeIsOfUse`), kept in
 * Redis with a TTL and an attempt budget, and sent through the provider in the background (recorded in
 * SmsRecord; a provider failure drops the code and the resend interval, so the user may ask again at once).
 * The answer — body and timing — is the same whether or not a code was sent, so it does not tell registered
 * phones from others (issue 10 2m); only the phone's owner learns it, from the SMS. Throws SMS_TOO_FREQUENT
 * (429) past a limit.
 */
export async function issueSmsCode(deps: ApiDeps, input: IssueInput): Promise<{ expiresInSeconds: number }> {
  const { config, redis } = deps;
  const telephone = `${input.areaCode}${input.phone}`;
  const resendKey = `rl:sms:phone:${telephone}`;
  // Checked in order, each counting a hit only when the ones before it passed: the resend interval comes
  // before the daily cap so that taps on "resend" refused within the interval do not use up the day's codes.
  const limits = [
    { key: `rl:sms:ip:${input.ip}`, limit: config.API_SMS_MAX_PER_IP_PER_HOUR, windowSeconds: 3600 },
    { key: resendKey, limit: 1, windowSeconds: config.API_SMS_RESEND_SECONDS },
    { key: `rl:sms:phone-day:${telephone}`, limit: config.API_SMS_MAX_PER_PHONE_PER_DAY, windowSeconds: 86_400 },
  ];
  for (const rule of limits) {
    const result = await hitRateLimit(redis, rule);
    if (!result.allowed) throw new AppError("SMS_TOO_FREQUENT", { retryAfterSeconds: result.retryAfterSeconds });
  }
  if (!(await codeIsOfUse(deps, input.purpose, telephone))) return { expiresInSeconds: config.API_SMS_CODE_TTL_SECONDS };
  const code = String(randomInt(0, 1_000_000)).padStart(6, "0");
  const key = codeKey(input.purpose, telephone);
  await redis.multi().del(key).hset(key, { code, attempts: "0" }).expire(key, config.API_SMS_CODE_TTL_SECONDS).exec();
  // Sent in the background: waiting for the provider only when a code goes out would let the answer's timing
  // tell registered phones from others.
  void deliver(deps, { ...input, telephone, code, key, resendKey });
  return { expiresInSeconds: config.API_SMS_CODE_TTL_SECONDS };
}

/** Hands a code to the provider and records the outcome; never throws (failures are logged and recorded). */
async function deliver(
  deps: ApiDeps,
  sms: IssueInput & { telephone: string; code: string; key: string; resendKey: string },
): Promise<void> {
  const record = {
    areaCode: sms.areaCode,
    telephone: sms.telephone,
    purpose: sms.purpose,
    provider: deps.sms.name,
    ip: sms.ip,
    time: Date.now(),
  };
  try {
    const { messageId } = await deps.sms.send({ areaCode: sms.areaCode, phone: sms.phone, code: sms.code, purpose: sms.purpose });
    await deps.models.smsRecords.create({ ...record, ok: true, providerMessageId: messageId });
  } catch (error) {
    deps.logger.warn({ err: error, provider: deps.sms.name }, "SMS provider failed");
    try {
      // Nothing reached the phone: drop the code, and the resend interval so the user may ask again at once.
      await deps.redis.del(sms.key, sms.resendKey);
      await deps.models.smsRecords.create({
        ...record,
        ok: false,
        error: error instanceof Error ? error.message.slice(0, 500) : "unknown",
      });
    } catch (cleanup) {
      deps.logger.warn({ err: cleanup }, "could not record a failed SMS");
    }
  }
}

const CONSUME = `
local code = redis.call("HGET", KEYS[1], "code")
if not code then return -1 end
if code == ARGV[1] then redis.call("DEL", KEYS[1]); return 1 end
local attempts = redis.call("HINCRBY", KEYS[1], "attempts", 1)
if attempts >= tonumber(ARGV[2]) then redis.call("DEL", KEYS[1]) end
return 0`;

/** Checks and consumes a code (one use); wrong guesses count, and the code is burned after too many. */
export async function consumeSmsCode(deps: ApiDeps, purpose: SmsPurpose, telephone: string, code: string): Promise<void> {
  if (!/^[0-9]{6}$/.test(code)) throw new AppError("SMS_CODE_INVALID");
  const result = await deps.redis.eval(CONSUME, 1, codeKey(purpose, telephone), code, String(deps.config.API_SMS_MAX_ATTEMPTS));
  if (result !== 1) throw new AppError("SMS_CODE_INVALID");
}
