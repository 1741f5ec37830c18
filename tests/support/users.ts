import assert from "node:assert/strict";
import type { ApiClient } from "./client.js";
import type { TestStack } from "./stack.js";

export interface TestUser {
  userId: number;
  token: string;
  areaCode: string;
  phone: string;
  password: string;
  nickname: string;
}

let counter = 0;

/** A phone number no other test in this process has used. */
export function uniquePhone(): string {
  counter += 1;
  return `139${String(process.pid % 10_000).padStart(4, "0")}${String(counter).padStart(4, "0")}`;
}

/** Registers a user through the real API (SMS code included) and returns its id and token. */
export async function registerUser(
  stack: TestStack,
  client: ApiClient,
  overrides: { nickname?: string; password?: string; areaCode?: string; phone?: string } = {},
): Promise<TestUser> {
  const areaCode = overrides.areaCode ?? "86";
  const phone = overrides.phone ?? uniquePhone();
  const password = overrides.password ?? "e10adc3949ba59abbe56e057f20f883e";
  const nickname = overrides.nickname ?? `user-${phone}`;
  if (stack.config.API_SMS_REQUIRED) {
    const sent = await client.post("/v1/sms/codes", { areaCode, phone, purpose: "register" });
    assert.equal(sent.status, 202, JSON.stringify(sent.body));
  }
  const smsCode = stack.config.API_SMS_REQUIRED ? stack.sms.lastCode(areaCode, phone) : undefined;
  const reply = await client.post<{ accessToken: string; user: { userId: number } }>("/v1/auth/register", {
    areaCode,
    phone,
    password,
    nickname,
    ...(smsCode ? { smsCode } : {}),
  });
  assert.equal(reply.status, 201, JSON.stringify(reply.body));
  return { userId: reply.body.user.userId, token: reply.body.accessToken, areaCode, phone, password, nickname };
}
