import { z } from "zod";
import { areaCode, phoneNumber } from "../../http/common-schemas.js";
import { defineRoute } from "../../http/route.js";
import { issueSmsCode } from "./codes.js";

const requestCodeBody = z.object({
  areaCode,
  phone: phoneNumber,
  purpose: z
    .enum(["register", "reset_password", "login"])
    .describe("What the code is for: register (POST /v1/auth/register), reset_password, or login (POST /v1/auth/login/sms)"),
});

export const smsRoutes = [
  defineRoute({
    method: "post",
    path: "/v1/sms/codes",
    summary:
      "Send an SMS verification code for registration, password reset or login (seed: /basic/randcode/sendSms). Rate-limited per IP and per phone before anything else; the answer is the same whether or not the phone is registered — the code is only sent when it can be used (register: an unregistered phone; reset_password, login: a registered one)",
    tags: ["accounts"],
    auth: "public",
    errors: ["RATE_LIMITED", "SMS_TOO_FREQUENT"],
    body: requestCodeBody,
    response: {
      status: 202,
      description: "Accepted: a code was sent if it can be used for this phone and purpose",
      schema: z.object({ expiresInSeconds: z.number().int() }),
    },
    handler: async ({ body, request }, deps) => issueSmsCode(deps, { ...body, ip: request.ip }),
  }),
];
