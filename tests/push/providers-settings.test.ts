import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ConfigError } from "@im/config";
import { createProviders, longestSendMs } from "@im/push-app";
import { createApnsTestKey, createFcmTestAccount } from "@im/testing";
import { providerSettings, quietLogger } from "./providers-helpers.js";

describe("push provider settings and createProviders", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "im-push-settings-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const create = (env: Record<string, string>) => createProviders(providerSettings(env), { logger: quietLogger });
  const problemsOf = (env: Record<string, string>): string[] => {
    try {
      create(env);
    } catch (error) {
      if (error instanceof ConfigError) return error.problems;
      throw error;
    }
    assert.fail("expected a ConfigError");
  };

  it("enables nothing without credentials, and each provider by its own", async () => {
    assert.deepEqual(create({}), []);
    const key = createApnsTestKey();
    const keyFile = join(dir, "AuthKey.p8");
    await writeFile(keyFile, key.privateKey);
    const accountFile = join(dir, "account.json");
    await writeFile(accountFile, JSON.stringify(createFcmTestAccount("https://oauth2.example/token").account));
    const providers = create({
      PUSH_APNS_KEY_FILE: keyFile,
      PUSH_APNS_KEY_ID: key.keyId,
      PUSH_APNS_TEAM_ID: key.teamId,
      PUSH_FCM_SERVICE_ACCOUNT_FILE: accountFile,
      PUSH_HUAWEI_APP_ID: "1049",
      PUSH_HUAWEI_CLIENT_SECRET: "s",
      PUSH_XIAOMI_APP_SECRET: "x",
    });
    assert.deepEqual(
      providers.map((provider) => [...provider.serves]),
      [["apns", "apns-voip"], ["fcm"], ["huawei"], ["xiaomi"]],
    );
    await Promise.all(providers.map((provider) => provider.close()));
    assert.deepEqual(
      create({ PUSH_XIAOMI_APP_SECRET: "x" }).map((provider) => provider.serves[0]),
      ["xiaomi"],
    );
  });

  it("names every incomplete or unreadable credential", () => {
    const key = createApnsTestKey();
    assert.deepEqual(problemsOf({ PUSH_APNS_KEY: key.privateKey }), [
      "PUSH_APNS_KEY_ID: required with an APNs key",
      "PUSH_APNS_TEAM_ID: required with an APNs key",
    ]);
    assert.match(
      problemsOf({ PUSH_APNS_KEY_FILE: join(dir, "missing.p8"), PUSH_APNS_KEY_ID: "K", PUSH_APNS_TEAM_ID: "T" })[0] ?? "",
      /^PUSH_APNS_KEY_FILE: cannot read/,
    );
    assert.match(
      problemsOf({ PUSH_APNS_KEY: "not a key", PUSH_APNS_KEY_ID: "K", PUSH_APNS_TEAM_ID: "T" })[0] ?? "",
      /^PUSH_APNS_KEY: not a PEM private key/,
    );
    const rsa = createFcmTestAccount("https://oauth2.example/token").account.private_key;
    assert.deepEqual(problemsOf({ PUSH_APNS_KEY: rsa, PUSH_APNS_KEY_ID: "K", PUSH_APNS_TEAM_ID: "T" }), [
      "PUSH_APNS_KEY: not an EC (P-256) key",
    ]);
    assert.match(problemsOf({ PUSH_FCM_SERVICE_ACCOUNT: "{" })[0] ?? "", /^PUSH_FCM_SERVICE_ACCOUNT: not JSON/);
    assert.match(problemsOf({ PUSH_FCM_SERVICE_ACCOUNT: JSON.stringify({ project_id: "p" }) })[0] ?? "", /private_key_id/);
    assert.deepEqual(problemsOf({ PUSH_HUAWEI_APP_ID: "1049" }), ["PUSH_HUAWEI_CLIENT_SECRET: required with PUSH_HUAWEI_APP_ID"]);
    assert.match(problemsOf({ PUSH_XIAOMI_APP_SECRET: "x", PUSH_CA_FILE: join(dir, "nope.pem") })[0] ?? "", /^PUSH_CA_FILE: cannot read/);
  });

  it("validates endpoints and bounds", () => {
    assert.throws(() => providerSettings({ PUSH_APNS_URL: "api.push.apple.com" }), ConfigError);
    assert.throws(() => providerSettings({ PUSH_PROVIDER_RETRIES: "11" }), ConfigError);
    const settings = providerSettings({ PUSH_FCM_URL: "https://fcm.example/" });
    assert.equal(settings.PUSH_FCM_URL, "https://fcm.example");
    assert.equal(settings.PUSH_APNS_URL, "https://api.push.apple.com");
    assert.equal(settings.PUSH_APNS_SANDBOX_URL, "https://api.sandbox.push.apple.com");
    assert.equal(settings.PUSH_PROVIDER_TIMEOUT_MS, 10_000);
    assert.equal(settings.PUSH_PROVIDER_RETRIES, 3);
  });

  it("bounds one send's duration for the worker's lease: attempts × (token + two sends) + the waits between them", () => {
    assert.equal(longestSendMs({ PUSH_PROVIDER_TIMEOUT_MS: 10_000, PUSH_PROVIDER_RETRIES: 3 }), 4 * 3 * 10_000 + 3 * 10_000);
    assert.equal(longestSendMs({ PUSH_PROVIDER_TIMEOUT_MS: 1_000, PUSH_PROVIDER_RETRIES: 0 }), 3 * 1_000);
    assert.equal(
      longestSendMs({ PUSH_PROVIDER_TIMEOUT_MS: 1_000, PUSH_PROVIDER_RETRIES: 2 }, { maxDelayMs: 400, maxWaitMs: 5_000 }),
      3 * 3 * 1_000 + 2 * 5_000,
    );
  });
});
