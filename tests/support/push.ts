// Shared helpers of the tests/push/*.test.ts files (the push app end to end).
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { PushProviderName } from "@im/data";
import type { Redis } from "@im/infra";
import {
  PUSH_EVENTS_STREAM,
  PUSH_SENDS_STREAM,
  type PushNotification,
  type PushProvider,
  type PushTarget,
  type SendOutcome,
} from "@im/push";
import { loadPushConfig, type RunningPush, type StartPushOptions, startPush, streamState } from "@im/push-app";
import { createLogger } from "@im/telemetry";
import {
  type ApnsServer,
  createApnsTestKey,
  createTestTls,
  type FcmServer,
  freePort,
  type HuaweiServer,
  type ManagedProcess,
  spawnServer,
  startApnsServer,
  startFcmServer,
  startHuaweiServer,
  startXiaomiServer,
  type XiaomiServer,
} from "@im/testing";
import type { ApiClient } from "./client.js";
import { type RealtimeWorld, startRealtime } from "./realtime.js";
import { Rooms } from "./rooms.js";
import type { TestStack } from "./stack.js";
import type { TestUser } from "./users.js";

/** One call a RecordingProvider got. */
export interface RecordedSend {
  target: PushTarget;
  notification: PushNotification;
  at: number;
}

/**
 * A PushProvider written for a test (not a stand-in for infrastructure: the provider clients and their local
 * servers are tested in providers-*.test.ts): it records every send and answers what the test scripted
 * for the token (default sent).
 */
export class RecordingProvider implements PushProvider {
  readonly sent: RecordedSend[] = [];
  /** Scripted answers per token, used in order; the last one repeats. */
  readonly script = new Map<string, SendOutcome["status"][]>();

  constructor(readonly serves: readonly PushProviderName[]) {}

  async send(target: PushTarget, notification: PushNotification): Promise<SendOutcome> {
    this.sent.push({ target, notification, at: Date.now() });
    const answers = this.script.get(target.token);
    const status = answers && answers.length > 1 ? answers.shift() : answers?.[0];
    switch (status) {
      case "invalid-token":
        return { status, reason: "Unregistered", attempts: 1 };
      case "retry":
        return { status, reason: "503", attempts: 1 };
      case "failed":
        return { status, reason: "PayloadTooLarge", attempts: 1 };
      default:
        return { status: "sent", providerId: `rec-${this.sent.length}`, attempts: 1 };
    }
  }

  to(token: string): RecordedSend[] {
    return this.sent.filter((send) => send.target.token === token);
  }

  async close(): Promise<void> {}
}

/** Starts the push app in this process on the stack's stores (PUSH_* settings from `env`). */
export async function startPushApp(
  stack: TestStack,
  env: Record<string, string> = {},
  options: StartPushOptions = {},
): Promise<RunningPush> {
  const config = loadPushConfig({
    MONGO_URL: stack.config.MONGO_URL,
    REDIS_URL: stack.config.REDIS_URL,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
    MESSAGE_SHARDS: String(stack.config.MESSAGE_SHARDS),
    PUSH_HOST: "127.0.0.1",
    PUSH_PORT: "0",
    PUSH_CONSUMER: `push-test-${process.pid}`,
    PUSH_CLAIM_IDLE_MS: "500",
    ...env,
  });
  return startPush(config, { logger: createLogger({ name: "push-test", level: config.LOG_LEVEL }), ...options });
}

/** How many entries were ever appended to the events stream (XINFO STREAM entries-added; 0 before the first). */
export async function eventsAdded(redis: Redis): Promise<number> {
  const info = (await redis.xinfo("STREAM", PUSH_EVENTS_STREAM).catch(() => [])) as unknown[];
  const index = info.indexOf("entries-added");
  return index >= 0 ? Number(info[index + 1]) : 0;
}

/**
 * Waits until at least `minEvents` events were ever queued (the message path appends without waiting, so a
 * receipt can come first) and every entry of both push streams was acknowledged (planned and answered).
 */
export async function drained(redis: Redis, minEvents = 0, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [events, sends, added] = await Promise.all([
      streamState(redis, PUSH_EVENTS_STREAM),
      streamState(redis, PUSH_SENDS_STREAM),
      eventsAdded(redis),
    ]);
    if (added >= minEvents && events.lag === 0 && sends.lag === 0) return;
    if (Date.now() > deadline)
      throw new Error(`push streams not drained: events ${JSON.stringify(events)}, sends ${JSON.stringify(sends)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

let tokenCounter = 0;

/** A token that looks like the provider's (APNs: 64 hex digits), unique in this process. */
export function fakeToken(provider: PushProviderName): string {
  tokenCounter += 1;
  const unique = `${process.pid.toString(16)}${tokenCounter.toString(16).padStart(6, "0")}`;
  return provider.startsWith("apns") ? unique.padStart(64, "a") : `${provider}-token-${unique}`;
}

/** Registers a push token for the user's session through the real API; returns the token. */
export async function registerDevice(
  api: ApiClient,
  user: TestUser,
  provider: PushProviderName,
  extra: { token?: string; appId?: string; locale?: string; environment?: "sandbox" | "production" } = {},
): Promise<string> {
  const token = extra.token ?? fakeToken(provider);
  const reply = await api.post(
    "/v1/push/devices",
    {
      provider,
      token,
      appId: extra.appId ?? "com.example.im",
      locale: extra.locale ?? "en",
      ...(extra.environment ? { environment: extra.environment } : {}),
    },
    user.token,
  );
  assert.ok(reply.status === 200 || reply.status === 201, JSON.stringify(reply.body));
  return token;
}

/** The value of one labelled series of a counter in the push app's registry (0 when absent). */
export async function counterValue(push: RunningPush, name: string, labels: Record<string, string>): Promise<number> {
  const metric = push.registry.getSingleMetric(name);
  if (!metric) return 0;
  const { values } = await metric.get();
  const found = values.find((value) => Object.entries(labels).every(([key, wanted]) => String(value.labels[key]) === wanted));
  return found?.value ?? 0;
}

/** The four local provider servers of a push world, with the push app settings that point at them. */
export interface ProviderFakes {
  apns: ApnsServer;
  fcm: FcmServer;
  huawei: HuaweiServer;
  xiaomi: XiaomiServer;
  /** PUSH_* settings for the push app (credentials, URLs, PUSH_CA_FILE). */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * Starts local APNs (HTTP/2 TLS, ES256 key made here), FCM (token route + send, RS256 account made here),
 * Huawei and Xiaomi servers on one self-signed certificate, and writes that certificate for PUSH_CA_FILE.
 */
export async function startProviderFakes(options: { delayMs?: number } = {}): Promise<ProviderFakes> {
  const tls = await createTestTls({ shared: true });
  const dir = await mkdtemp(join(tmpdir(), "im-push-ca-"));
  const caFile = join(dir, "ca.pem");
  await writeFile(caFile, tls.ca);
  const key = createApnsTestKey();
  const delay = options.delayMs === undefined ? {} : { delayMs: options.delayMs };
  const [apns, fcm, huawei, xiaomi] = await Promise.all([
    startApnsServer({ teamId: key.teamId, keyId: key.keyId, publicKey: key.publicKey, tls, ...delay }),
    startFcmServer({ tls, ...delay }),
    startHuaweiServer({ appId: "10203040", clientSecret: "huawei-test-secret", tls, ...delay }),
    startXiaomiServer({ appSecret: "xiaomi-test-secret", tls, ...delay }),
  ]);
  return {
    apns,
    fcm,
    huawei,
    xiaomi,
    env: {
      PUSH_CA_FILE: caFile,
      PUSH_APNS_KEY: key.privateKey,
      PUSH_APNS_KEY_ID: key.keyId,
      PUSH_APNS_TEAM_ID: key.teamId,
      PUSH_APNS_URL: apns.url,
      PUSH_APNS_SANDBOX_URL: apns.url,
      PUSH_FCM_SERVICE_ACCOUNT: JSON.stringify(fcm.account),
      PUSH_FCM_URL: fcm.url,
      PUSH_HUAWEI_APP_ID: "10203040",
      PUSH_HUAWEI_CLIENT_SECRET: "huawei-test-secret",
      PUSH_HUAWEI_URL: huawei.url,
      PUSH_HUAWEI_TOKEN_URL: huawei.tokenUrl,
      PUSH_XIAOMI_APP_SECRET: "xiaomi-test-secret",
      PUSH_XIAOMI_URL: xiaomi.url,
    },
    async stop() {
      await Promise.all([apns.stop(), fcm.stop(), huawei.stop(), xiaomi.stop()]);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** API + gateway processes + the push app in this process, on the local provider servers. */
export interface PushWorld extends RealtimeWorld {
  fakes: ProviderFakes;
  push: RunningPush;
  redis: Redis;
  rooms: Rooms;
  /** Runs `act`, then waits until its `events` push events were queued and everything was answered. */
  settle(events: number, act: () => Promise<unknown>): Promise<void>;
}

/** Starts a push world: PUSH_ENABLED on every app, the push app with short claim times and provider backoffs. */
export async function startPushWorld(pushEnv: Record<string, string> = {}, gateways = 1): Promise<PushWorld> {
  const fakes = await startProviderFakes();
  const world = await startRealtime(gateways, { API_SMS_REQUIRED: "false", PUSH_ENABLED: "true" });
  let push: RunningPush;
  try {
    push = await startPushApp(world.stack, { PUSH_PROVIDER_RETRIES: "0", ...fakes.env, ...pushEnv });
  } catch (error) {
    await world.stop();
    await fakes.stop();
    throw error;
  }
  const redis = world.stack.api.deps.redis;
  return {
    ...world,
    fakes,
    push,
    redis,
    rooms: new Rooms(world.stack, world.api),
    async settle(events, act) {
      const before = await eventsAdded(redis);
      await act();
      await drained(redis, before + events);
    },
    async stop() {
      await push.close();
      await world.stop();
      await fakes.stop();
    },
  };
}

/** The app data (conversationId, messageId, type, kind, ...) of a request a local provider server received. */
export function dataOf(payload: unknown): Record<string, unknown> {
  if (payload === null || typeof payload !== "object") return {};
  const record = payload as Record<string, unknown>;
  const message = record.message as Record<string, unknown> | undefined;
  if (message && typeof message.data === "object" && message.data !== null) return message.data as Record<string, unknown>;
  return record;
}

const root = new URL("../..", import.meta.url).pathname;

/** A push worker as its own OS process (so a test can SIGKILL it), on the stack's stores. */
export interface PushProcess {
  url: string;
  process: ManagedProcess;
}

/** Starts apps/push/src/main.ts as a process with `env` (provider settings, PUSH_CONSUMER, ...). */
export async function startPushProcess(stack: TestStack, consumer: string, env: Record<string, string>): Promise<PushProcess> {
  const port = await freePort();
  const process_ = await spawnServer({
    name: `push-${consumer}`,
    command: process.execPath,
    args: ["--conditions=development", "--import", "tsx", join(root, "apps/push/src/main.ts")],
    cwd: root,
    readyPort: port,
    readyTimeoutMs: 60_000,
    inheritOutput: process.env.PUSH_TEST_OUTPUT === "1",
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      MONGO_URL: stack.config.MONGO_URL,
      REDIS_URL: stack.config.REDIS_URL,
      MESSAGE_SHARDS: String(stack.config.MESSAGE_SHARDS),
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "warn",
      PUSH_HOST: "127.0.0.1",
      PUSH_PORT: String(port),
      PUSH_CONSUMER: consumer,
      ...env,
    },
  });
  return { url: `http://127.0.0.1:${port}`, process: process_ };
}

/** The FCM HTTP v1 message of a request body, as the local FCM server received it. */
export interface FcmMessage {
  notification?: { title: string; body: string };
  android: { priority: string; ttl?: string; collapse_key?: string };
  data: Record<string, string>;
}

/** The `message` of a request the local FCM server received (fails the test when there is no such request). */
export function fcmMessage(request: { body: unknown } | undefined): FcmMessage {
  assert.ok(request, "no such FCM request");
  return (request.body as { message: FcmMessage }).message;
}
