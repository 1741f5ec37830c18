import { createSession } from "@im/auth";
import { type UserDoc, UserStatus } from "@im/data";
import { hitRateLimit } from "@im/infra";
import { AppError } from "@im/protocol";
import type { z } from "zod";
import type { ApiDeps } from "../../context.js";
import type { RequestInfo } from "../../http/route.js";
import { removeEndedSessionDevices } from "../push/devices.js";
import { consumeSmsCode } from "../sms/codes.js";
import { toSelfUser } from "../users/views.js";
import { hashPassword, needsRehash, verifyPassword } from "./passwords.js";
import type { loginBody, smsLoginBody } from "./schemas.js";

// A hash to compare against when the phone is unknown, so both cases cost the same time.
let decoyHash: Promise<string> | undefined;

/** Opens a device session for a user whose identity is proven, and records the login. */
export async function loginWith(deps: ApiDeps, user: UserDoc, device: { resource: string; deviceId: string }, request: RequestInfo) {
  const session = await createSession(deps.redis, {
    userId: user.userId,
    resource: device.resource,
    deviceId: device.deviceId,
    ip: request.ip,
    ttlSeconds: deps.config.API_TOKEN_TTL_SECONDS,
    maxSessions: deps.config.API_MAX_SESSIONS,
    singleDevice: user.settings?.multipleDevices === 0,
  });
  // Sessions this login revoked (same device, single-device mode, too many) take their push tokens along.
  if (session.revoked > 0) await removeEndedSessionDevices(deps, user.userId);
  const loginLog = { ip: request.ip, resource: device.resource, deviceId: device.deviceId, time: Date.now() };
  await deps.models.users.updateOne({ userId: user.userId }, { $set: { loginLog, active: loginLog.time } });
  return { accessToken: session.accessToken, expiresAt: session.expiresAt, sessionId: session.sessionId, user: toSelfUser(user) };
}

/** The per-IP budget of login attempts (password or SMS code). */
async function countLoginAttempt(deps: ApiDeps, request: RequestInfo): Promise<void> {
  const { config, redis } = deps;
  const rule = { key: `rl:login:ip:${request.ip}`, limit: config.API_LOGIN_MAX_PER_IP, windowSeconds: config.API_LOGIN_WINDOW_SECONDS };
  const byIp = await hitRateLimit(redis, rule);
  if (!byIp.allowed) throw new AppError("RATE_LIMITED", { retryAfterSeconds: byIp.retryAfterSeconds });
}

const failuresKey = (telephone: string) => `rl:login:fail:${telephone}`;

/**
 * Login with an SMS code (purpose login) instead of the password: the way in for a phone's owner while
 * wrong passwords keep the phone locked (issue 10 2m). The code proves the phone, so the lock is passed and
 * cleared. Throws RATE_LIMITED (per IP, shared with password logins), SMS_CODE_INVALID (wrong, used,
 * expired or never sent — codes are only sent to registered phones), ACCOUNT_DISABLED.
 */
export async function loginWithSmsCode(deps: ApiDeps, body: z.output<typeof smsLoginBody>, request: RequestInfo) {
  await countLoginAttempt(deps, request);
  const telephone = `${body.areaCode}${body.phone}`;
  await consumeSmsCode(deps, "login", telephone, body.smsCode);
  const user = await deps.models.users.findOne({ telephone }).lean();
  if (!user) throw new AppError("SMS_CODE_INVALID");
  if (user.status === UserStatus.disabled) throw new AppError("ACCOUNT_DISABLED");
  await deps.redis.del(failuresKey(telephone));
  return loginWith(deps, user, { resource: body.resource, deviceId: body.deviceId ?? "" }, request);
}

/**
 * Password login (seed: UserController.login). Attempts are counted per phone before the password is checked (the phone locks for a
 * window after too many: LOGIN_LOCKED, even for the right password — the owner gets in with an SMS code,
 * `loginWithSmsCode`, or a password reset) and all attempts per IP.
 */
export async function login(deps: ApiDeps, body: z.output<typeof loginBody>, request: RequestInfo) {
  const { config, redis } = deps;
  const telephone = `${body.areaCode}${body.phone}`;
  await countLoginAttempt(deps, request);
  const failuresRule = {
    key: failuresKey(telephone),
    limit: config.API_LOGIN_MAX_FAILURES,
    windowSeconds: config.API_LOGIN_WINDOW_SECONDS,
  };
  // Every attempt takes one of the phone's API_LOGIN_MAX_FAILURES slots BEFORE its password is checked (an
  // atomic INCR), and a right password gives the slots back: parallel guesses cannot all be checked while
  // the count still reads "not locked" (at most the limit are ever verified in a window).
  const failures = await hitRateLimit(redis, failuresRule);
  if (!failures.allowed) throw new AppError("LOGIN_LOCKED", { retryAfterSeconds: failures.retryAfterSeconds });

  const user = await deps.models.users.findOne({ telephone }).lean();
  decoyHash ??= hashPassword("decoy-password", config.API_PASSWORD_SCRYPT_LOG2N);
  // Accounts without a password (system accounts) never log in; the decoy only spends the same time.
  const ok = user?.passwordHash
    ? await verifyPassword(body.password, user.passwordHash)
    : (await verifyPassword(body.password, await decoyHash)) && false;
  if (!user || !ok) throw new AppError("LOGIN_FAILED"); // its slot stays taken
  if (user.status === UserStatus.disabled) throw new AppError("ACCOUNT_DISABLED");
  await redis.del(failuresRule.key);
  if (needsRehash(user.passwordHash, config.API_PASSWORD_SCRYPT_LOG2N)) {
    const passwordHash = await hashPassword(body.password, config.API_PASSWORD_SCRYPT_LOG2N);
    await deps.models.users.updateOne({ userId: user.userId }, { $set: { passwordHash } });
  }
  return loginWith(deps, user, { resource: body.resource, deviceId: body.deviceId ?? "" }, request);
}
