import { AppError } from "@im/protocol";
import { z } from "zod";
import { areaCode, phoneNumber } from "../../http/common-schemas.js";
import { defineRoute } from "../../http/route.js";
import { issueSmsCode } from "./codes.js";

const requestCodeBody = z.object({
  areaCode,
  phone: phoneNumber,
  purpose: z.enum(["register", "reset_password"]).describe("What the code is for"),
});

export const smsRoutes = [
  defineRoute({
    method: "post",
    path: "/v1/sms/codes",
    summary: "Send an SMS verification code for registration or password reset (seed: /basic/randcode/sendSms)",
    tags: ["accounts"],
    auth: "public",
    errors: ["PHONE_ALREADY_REGISTERED", "PHONE_NOT_REGISTERED", "SMS_TOO_FREQUENT", "SMS_SEND_FAILED"],
    body: requestCodeBody,
    response: { status: 202, description: "Code sent", schema: z.object({ expiresInSeconds: z.number().int() }) },
    handler: async ({ body, request }, deps) => {
      const exists = await deps.models.users.exists({ telephone: `${body.areaCode}${body.phone}` });
      if (body.purpose === "register" && exists) throw new AppError("PHONE_ALREADY_REGISTERED");
      if (body.purpose === "reset_password" && !exists) throw new AppError("PHONE_NOT_REGISTERED");
      return issueSmsCode(deps, { ...body, ip: request.ip });
    },
  }),
];
