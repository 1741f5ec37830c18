import { listSessions, revokeAllSessions, revokeSession, revokeSessionById } from "@im/auth";
import { hitRateLimit } from "@im/infra";
import { AppError } from "@im/protocol";
import { z } from "zod";
import { defineRoute } from "../../http/route.js";
import { removeSessionDevices } from "../push/devices.js";
import { consumeSmsCode } from "../sms/codes.js";
import { loadSelf } from "../users/routes.js";
import { login, loginWithSmsCode } from "./login.js";
import { hashPassword, verifyPassword } from "./passwords.js";
import { register } from "./register.js";
import {
  changePasswordBody,
  loginBody,
  loginResult,
  registerBody,
  resetPasswordBody,
  sessionIdParams,
  sessionSchema,
  smsLoginBody,
} from "./schemas.js";

export const authRoutes = [
  defineRoute({
    method: "post",
    path: "/v1/auth/register",
    summary: "Register with area code, phone and password; logs the new account in (seed: /user/register)",
    tags: ["accounts"],
    auth: "public",
    errors: ["RATE_LIMITED", "PHONE_ALREADY_REGISTERED", "SMS_CODE_INVALID"],
    body: registerBody,
    response: { status: 201, description: "Registered and logged in", schema: loginResult },
    handler: async ({ body, request }, deps) => register(deps, body, request),
  }),
  defineRoute({
    method: "post",
    path: "/v1/auth/login",
    summary: "Log in with phone and password; returns a new access token (seed: /user/login)",
    tags: ["accounts"],
    auth: "public",
    errors: ["RATE_LIMITED", "LOGIN_LOCKED", "LOGIN_FAILED", "ACCOUNT_DISABLED"],
    body: loginBody,
    response: { status: 200, description: "Logged in", schema: loginResult },
    handler: async ({ body, request }, deps) => login(deps, body, request),
  }),
  defineRoute({
    method: "post",
    path: "/v1/auth/login/sms",
    summary:
      "Log in with an SMS code (POST /v1/sms/codes, purpose login) instead of the password; also gets a phone locked by wrong passwords in, and clears the lock",
    tags: ["accounts"],
    auth: "public",
    errors: ["RATE_LIMITED", "SMS_CODE_INVALID", "ACCOUNT_DISABLED"],
    body: smsLoginBody,
    response: { status: 200, description: "Logged in", schema: loginResult },
    handler: async ({ body, request }, deps) => loginWithSmsCode(deps, body, request),
  }),
  defineRoute({
    method: "post",
    path: "/v1/auth/logout",
    summary: "End this session; its token stops working and its push devices are removed (seed: /user/logout)",
    tags: ["accounts"],
    auth: "user",
    response: { status: 204, description: "Logged out" },
    handler: async ({ auth }, deps) => {
      await revokeSession(deps.redis, auth);
      await removeSessionDevices(deps, auth.userId, [auth.sessionId]);
      return undefined;
    },
  }),
  defineRoute({
    method: "post",
    path: "/v1/auth/password/change",
    summary: "Change my password; every session ends and every push device is removed (seed: /user/password/update)",
    tags: ["accounts"],
    auth: "user",
    errors: ["LOGIN_LOCKED", "PASSWORD_INCORRECT"],
    body: changePasswordBody,
    response: { status: 204, description: "Changed; log in again" },
    handler: async ({ userId, body }, deps) => {
      // A stolen token must not become an unlimited password oracle: wrong guesses lock like logins do.
      const failures = {
        key: `rl:pwchange:fail:${userId}`,
        limit: deps.config.API_LOGIN_MAX_FAILURES,
        windowSeconds: deps.config.API_LOGIN_WINDOW_SECONDS,
      };
      // The attempt takes a slot before the password is checked (parallel guesses cannot outrun the count).
      const slot = await hitRateLimit(deps.redis, failures);
      if (!slot.allowed) throw new AppError("LOGIN_LOCKED", { retryAfterSeconds: slot.retryAfterSeconds });
      const user = await loadSelf(deps.models, userId);
      if (!(await verifyPassword(body.oldPassword, user.passwordHash))) throw new AppError("PASSWORD_INCORRECT");
      await deps.redis.del(failures.key);
      const passwordHash = await hashPassword(body.newPassword, deps.config.API_PASSWORD_SCRYPT_LOG2N);
      await deps.models.users.updateOne({ userId }, { $set: { passwordHash, modifyTime: Date.now() } });
      await revokeAllSessions(deps.redis, userId, "password_changed");
      await removeSessionDevices(deps, userId);
      return undefined;
    },
  }),
  defineRoute({
    method: "post",
    path: "/v1/auth/password/reset",
    summary: "Set a new password with an SMS code; every session ends and every push device is removed (seed: /user/password/reset)",
    tags: ["accounts"],
    auth: "public",
    errors: ["SMS_CODE_INVALID", "PHONE_NOT_REGISTERED"],
    body: resetPasswordBody,
    response: { status: 204, description: "Reset; log in again" },
    handler: async ({ body }, deps) => {
      const telephone = `${body.areaCode}${body.phone}`;
      await consumeSmsCode(deps, "reset_password", telephone, body.smsCode);
      const user = await deps.models.users.findOne({ telephone }).lean();
      if (!user) throw new AppError("PHONE_NOT_REGISTERED");
      const passwordHash = await hashPassword(body.newPassword, deps.config.API_PASSWORD_SCRYPT_LOG2N);
      await deps.models.users.updateOne({ userId: user.userId }, { $set: { passwordHash, modifyTime: Date.now() } });
      await deps.redis.del(`rl:login:fail:${telephone}`);
      await revokeAllSessions(deps.redis, user.userId, "password_changed");
      await removeSessionDevices(deps, user.userId);
      return undefined;
    },
  }),
  defineRoute({
    method: "get",
    path: "/v1/auth/sessions",
    summary: "My logged-in devices",
    tags: ["accounts"],
    auth: "user",
    response: { status: 200, description: "Sessions, oldest first", schema: z.object({ items: z.array(sessionSchema) }) },
    handler: async ({ userId, auth }, deps) => {
      const sessions = await listSessions(deps.redis, userId);
      return { items: sessions.map((session) => ({ ...session, current: session.sessionId === auth.sessionId })) };
    },
  }),
  defineRoute({
    method: "delete",
    path: "/v1/auth/sessions/:sessionId",
    summary: "Sign out one of my devices (its push devices are removed)",
    tags: ["accounts"],
    auth: "user",
    errors: ["SESSION_NOT_FOUND"],
    params: sessionIdParams,
    response: { status: 204, description: "Signed out" },
    handler: async ({ userId, params }, deps) => {
      const found = await revokeSessionById(deps.redis, userId, params.sessionId);
      if (!found) throw new AppError("SESSION_NOT_FOUND");
      await removeSessionDevices(deps, userId, [params.sessionId]);
      return undefined;
    },
  }),
];
