import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "@im/config";
import type { PushNotification, PushProvider, PushTarget } from "@im/push";
import { createProviders, type PushProviderSettings, pushProviderSettings } from "@im/push-app";
import { z } from "zod";

/** A clock the fakes and the clients share: tests move it instead of waiting (timers stay real). */
export interface TestClock {
  now: () => number;
  advance(ms: number): void;
}

export function testClock(start = Date.now()): TestClock {
  let time = start;
  return {
    now: () => time,
    advance(ms) {
      time += ms;
    },
  };
}

export const MINUTE = 60_000;

/** A notification as the push app makes them, expiring a minute after the clock's now. */
export function notification(clock: TestClock, overrides: Partial<PushNotification> = {}): PushNotification {
  return {
    kind: "alert",
    title: "Alice",
    body: "see you at eight",
    badge: 3,
    collapseId: "c:2:1001",
    data: { conversationId: "2:1001", messageId: "m-1", chatType: "1", type: "1", fromUserId: "1001", seq: "7", kind: "alert" },
    expiresAt: clock.now() + MINUTE,
    priority: "high",
    ...overrides,
  };
}

/** A 64-hex-digit APNs device token (random unless `fill` is given). */
export function apnsToken(fill?: string): string {
  return fill
    ? fill.repeat(64).slice(0, 64)
    : Array.from({ length: 64 }, () => "0123456789abcdef"[Math.floor(Math.random() * 16)]).join("");
}

export function target(provider: PushTarget["provider"], token: string, overrides: Partial<PushTarget> = {}): PushTarget {
  return { provider, token, appId: "com.example.im", environment: "production", ...overrides };
}

/** Writes the fakes' CA to a file (PUSH_CA_FILE) in a temp folder removed by `cleanup`. */
export async function caFile(ca: string): Promise<{ path: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "im-push-ca-"));
  const path = join(dir, "ca.pem");
  await writeFile(path, ca);
  return { path, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Parses provider settings from env-like values, as the push app does. */
export function providerSettings(env: Record<string, string>): PushProviderSettings {
  return loadConfig(z.object(pushProviderSettings), env);
}

/** Log lines the providers wrote (warnings are kept for assertions). */
export const quietLogger = { warn: () => {}, info: () => {}, debug: () => {} };

/** The one client of `createProviders(env)` with short backoffs (base 50 ms) unless given. */
export function oneProvider(
  env: Record<string, string>,
  clock: TestClock,
  backoff: { baseDelayMs?: number; maxDelayMs?: number; maxWaitMs?: number } = {},
): PushProvider {
  const providers = createProviders(providerSettings(env), {
    logger: quietLogger,
    now: clock.now,
    backoff: { baseDelayMs: 50, maxDelayMs: 400, ...backoff },
  });
  if (providers.length !== 1 || !providers[0]) throw new Error(`expected one provider, got ${providers.length}`);
  return providers[0];
}
