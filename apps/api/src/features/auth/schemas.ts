import { clientResources } from "@im/protocol";
import { z } from "zod";
import { areaCode, nonEmptyLine, password, phoneNumber, text } from "../../http/common-schemas.js";
import { selfUserSchema } from "../users/schemas.js";

const smsCode = z.string().regex(/^[0-9]{6}$/, "must be 6 digits");

const device = {
  resource: z
    .enum(clientResources)
    .default("android")
    .describe("Kind of client (the seed's XMPP resource); `Server` is the platform's own and refused"),
  deviceId: z
    .string()
    .regex(/^[A-Za-z0-9._:-]{1,128}$/, "1–128 letters, digits or ._:-")
    .optional()
    .describe("Stable id of this device; a new login from the same device replaces its old session"),
};

export const registerBody = z.object({
  areaCode,
  phone: phoneNumber,
  password,
  smsCode: smsCode.optional().describe("Code from POST /v1/sms/codes (purpose register)"),
  nickname: nonEmptyLine(32),
  sex: z.union([z.literal(0), z.literal(1), z.literal(2)]).default(0),
  birthday: z.number().int().min(-5_000_000_000_000).max(5_000_000_000_000).default(0),
  description: text(200).default(""),
  countryId: z.number().int().min(0).max(1_000_000).default(0),
  provinceId: z.number().int().min(0).max(1_000_000).default(0),
  cityId: z.number().int().min(0).max(1_000_000).default(0),
  areaId: z.number().int().min(0).max(1_000_000).default(0),
  ...device,
});

export const loginBody = z.object({ areaCode, phone: phoneNumber, password, ...device });

export const smsLoginBody = z.object({
  areaCode,
  phone: phoneNumber,
  smsCode: smsCode.describe("Code from POST /v1/sms/codes (purpose login)"),
  ...device,
});

export const loginResult = z.object({
  accessToken: z.string().describe("Send as Authorization: Bearer <token> (or access_token=)"),
  expiresAt: z.number().int().describe("Epoch ms when the token stops working"),
  sessionId: z.string(),
  user: selfUserSchema,
});

export const resetPasswordBody = z.object({
  areaCode,
  phone: phoneNumber,
  smsCode: smsCode.describe("Code from POST /v1/sms/codes (purpose reset_password)"),
  newPassword: password,
});

export const changePasswordBody = z.object({ oldPassword: password, newPassword: password });

export const sessionSchema = z.object({
  sessionId: z.string(),
  resource: z.string(),
  deviceId: z.string(),
  ip: z.string(),
  createdAt: z.number().int(),
  current: z.boolean(),
});

export const sessionIdParams = z.object({ sessionId: z.string().uuid() });
