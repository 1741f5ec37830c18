import { duplicateKeyField, hitRateLimit, isDuplicateKeyError } from "@im/infra";
import { AppError } from "@im/protocol";
import type { z } from "zod";
import type { ApiDeps } from "../../context.js";
import type { RequestInfo } from "../../http/route.js";
import { consumeSmsCode } from "../sms/codes.js";
import { nextUserId, syncUserIdCounter } from "../users/user-ids.js";
import { loginWith } from "./login.js";
import { hashPassword } from "./passwords.js";
import type { registerBody } from "./schemas.js";

/**
 * Registers an account (seed: UserController.register): userIds come from a Redis counter; the phone's
 * uniqueness is the unique index on telephone, so of concurrent registrations of one phone exactly one wins.
 * With API_SMS_REQUIRED the SMS code is checked before anything else (SMS_CODE_INVALID), and only then is
 * PHONE_ALREADY_REGISTERED (409) reported.
 */
export async function register(deps: ApiDeps, body: z.output<typeof registerBody>, request: RequestInfo) {
  const limit = await hitRateLimit(deps.redis, {
    key: `rl:register:ip:${request.ip}`,
    limit: deps.config.API_REGISTER_MAX_PER_IP,
    windowSeconds: 3600,
  });
  if (!limit.allowed) throw new AppError("RATE_LIMITED", { retryAfterSeconds: limit.retryAfterSeconds });
  const telephone = `${body.areaCode}${body.phone}`;
  // The code first: only the phone's owner may learn that it is already registered (issue 10 2m).
  if (deps.config.API_SMS_REQUIRED) {
    if (!body.smsCode) throw new AppError("SMS_CODE_INVALID", { issues: [{ field: "body.smsCode", message: "required" }] });
    await consumeSmsCode(deps, "register", telephone, body.smsCode);
  }
  if (await deps.models.users.exists({ telephone })) throw new AppError("PHONE_ALREADY_REGISTERED");
  const passwordHash = await hashPassword(body.password, deps.config.API_PASSWORD_SCRYPT_LOG2N);
  const now = Date.now();
  for (let attempt = 0; ; attempt++) {
    const userId = await nextUserId(deps);
    try {
      const user = await deps.models.users.create({
        userId,
        telephone,
        areaCode: body.areaCode,
        phone: body.phone,
        passwordHash,
        nickname: body.nickname,
        sex: body.sex,
        birthday: body.birthday,
        description: body.description,
        countryId: body.countryId,
        provinceId: body.provinceId,
        cityId: body.cityId,
        areaId: body.areaId,
        createTime: now,
        modifyTime: now,
      });
      return loginWith(deps, user.toObject(), { resource: body.resource, deviceId: body.deviceId ?? "" }, request);
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      // FerretDB does not say which index refused the insert: ask.
      const field = duplicateKeyField(error, ["telephone", "userId"]);
      if (field === "telephone" || (await deps.models.users.exists({ telephone }))) throw new AppError("PHONE_ALREADY_REGISTERED");
      if (attempt >= 3) throw error;
      // The counter fell behind the stored ids (Redis lost data): raise it and take another id.
      await syncUserIdCounter(deps);
    }
  }
}
