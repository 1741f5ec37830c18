import { ConfigError, envBoolean, envInt, envList, loadConfig, mediaSettings, platformSettings, pushQueueSettings } from "@im/config";
import { openRoutes } from "@im/http";
import { z } from "zod";
import { allRoutes } from "./routes.js";

/** Routes anyone may call without an access token (the seed's AuthorizationFilterProperties). */
export const defaultPublicRoutes = [
  "GET /healthz",
  "GET /readyz",
  "GET /metrics",
  "GET /openapi.json",
  "GET /v1/config",
  "POST /v1/sms/codes",
  "POST /v1/auth/register",
  "POST /v1/auth/login",
  "POST /v1/auth/login/sms",
  "POST /v1/auth/password/reset",
];

/** Every setting of the API app, read from environment variables. */
export const apiConfigSchema = z.object({
  ...platformSettings,
  ...pushQueueSettings,
  // Only the public base URL: message history carries media URLs under it, avatarUrl must be one of its avatars.
  MEDIA_PUBLIC_URL: mediaSettings.MEDIA_PUBLIC_URL,
  API_HOST: z.string().default("0.0.0.0").describe("Address the HTTP server binds"),
  API_PORT: envInt(8092, 0, 65535).describe("HTTP port (the seed's imapi listened on 8092); 0 picks a free port"),
  API_PUBLIC_ROUTES: envList(defaultPublicRoutes).describe('Routes callable without a token, as "METHOD /path" (comma-separated)'),
  API_TRUST_PROXY: envInt(0, 0, 10).describe("How many reverse proxies (ingress) to trust for the client IP"),
  API_BODY_LIMIT_KB: envInt(64, 1, 10_240).describe("Largest accepted request body, in KiB"),
  API_TOKEN_TTL_SECONDS: envInt(7 * 24 * 3600, 60, 365 * 24 * 3600).describe("Lifetime of an access token"),
  API_MAX_SESSIONS: envInt(10, 1, 100).describe("Most devices logged in at once per user (oldest revoked first)"),
  API_PASSWORD_SCRYPT_LOG2N: envInt(15, 10, 20).describe("scrypt cost (log2 of N) for new password hashes"),
  API_LOGIN_MAX_FAILURES: envInt(5, 1, 100).describe("Failed logins per phone before it is locked for the window"),
  API_LOGIN_WINDOW_SECONDS: envInt(900, 10, 86_400).describe("Window of the failed-login lock"),
  API_LOGIN_MAX_PER_IP: envInt(100, 1, 1_000_000).describe("Login attempts per client IP per login window"),
  API_REGISTER_MAX_PER_IP: envInt(30, 1, 1_000_000).describe("Registrations per client IP per hour"),
  API_SMS_PROVIDER: z.enum(["console", "aliyun"]).default("console").describe("SMS provider: console logs the code; aliyun sends it"),
  API_SMS_REQUIRED: envBoolean(true).describe("Registration needs an SMS code"),
  API_SMS_CODE_TTL_SECONDS: envInt(300, 30, 3_600).describe("How long an SMS code is valid"),
  API_SMS_RESEND_SECONDS: envInt(60, 1, 3_600).describe("Least time between two codes to one phone"),
  API_SMS_MAX_PER_PHONE_PER_DAY: envInt(10, 1, 1_000).describe("Codes per phone per day"),
  API_SMS_MAX_PER_IP_PER_HOUR: envInt(20, 1, 1_000_000).describe("Codes per client IP per hour"),
  API_SMS_MAX_ATTEMPTS: envInt(5, 1, 100).describe("Wrong guesses before a code is burned"),
  ALIYUN_SMS_ACCESS_KEY_ID: z.string().optional().describe("Aliyun AccessKey ID (API_SMS_PROVIDER=aliyun)"),
  ALIYUN_SMS_ACCESS_KEY_SECRET: z.string().optional().describe("Aliyun AccessKey secret"),
  ALIYUN_SMS_SIGN_NAME: z.string().optional().describe("Aliyun SMS signature name"),
  ALIYUN_SMS_TEMPLATE_CODE: z.string().optional().describe("Aliyun SMS template code; the template takes a code parameter"),
  ALIYUN_SMS_ENDPOINT: z.string().url().default("https://dysmsapi.aliyuncs.com/").describe("Aliyun SMS API endpoint"),
  API_ROOM_MAX_USER_SIZE: envInt(1000, 2, 100_000).describe("Default and largest maxUserSize of a room (the seed's 1000)"),
  API_ROOM_JOIN_LINK_TTL_SECONDS: envInt(7 * 24 * 3600, 60, 365 * 24 * 3600).describe(
    "Lifetime of a room's join link (its token), in seconds",
  ),
  API_VALIDATE_RESPONSES: envBoolean(false).describe("Check every response against its OpenAPI schema (on in tests)"),
  API_RATE_NOTICE_WINDOW_SECONDS: envInt(60, 1, 86_400).describe(
    "Window of the budgets of actions that notify another user (API_RATE_NOTICE_*)",
  ),
  API_RATE_NOTICE_PER_USER: envInt(60, 1, 1_000_000).describe(
    "Actions that notify others (friend requests and replies, follow/unfollow, delete, blacklist, room invites and member changes) per user per window; past it RATE_LIMITED (429) with retryAfterSeconds",
  ),
  API_RATE_NOTICE_PER_PAIR: envInt(10, 1, 1_000_000).describe(
    "Such actions by one user towards one other user or room per window, so repeating one (40 follow/unfollow cycles) cannot flood its target with notices",
  ),
});

export type ApiConfig = z.output<typeof apiConfigSchema>;

/** Reads and validates the API's configuration; a bad setting stops start-up with its name. */
export function loadApiConfig(env: NodeJS.ProcessEnv = process.env): ApiConfig {
  const config = loadConfig(apiConfigSchema, env, { ownPrefixes: ["API_", "ALIYUN_SMS_"] });
  if (config.API_SMS_PROVIDER === "aliyun") {
    const missing = (
      ["ALIYUN_SMS_ACCESS_KEY_ID", "ALIYUN_SMS_ACCESS_KEY_SECRET", "ALIYUN_SMS_SIGN_NAME", "ALIYUN_SMS_TEMPLATE_CODE"] as const
    ).filter((key) => !config[key]);
    if (missing.length > 0) {
      throw new ConfigError(missing.map((key) => `${key}: required when API_SMS_PROVIDER=aliyun`));
    }
  }
  openRoutes(allRoutes, config.API_PUBLIC_ROUTES); // a route that needs a caller cannot be made public
  return config;
}
