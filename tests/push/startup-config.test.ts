import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";

const root = new URL("../..", import.meta.url).pathname;

const runPush = (args: string[], env: Record<string, string>) =>
  spawnSync(process.execPath, ["--conditions=development", "--import", "tsx", "apps/push/src/main.ts", ...args], {
    cwd: root,
    env: { PATH: process.env.PATH ?? "", ...env },
    encoding: "utf8",
    timeout: 60_000,
  });

describe("push app start-up configuration", () => {
  it("describes, checks and prints its settings (secrets redacted)", () => {
    const described = runPush(["--describe-config"], {}).stdout;
    for (const line of ["PUSH_PORT=9472", "PUSH_BATCH=64", "PUSH_CONCURRENCY=64", "PUSH_CLAIM_IDLE_MS=30000", "PUSH_MAX_DELIVERIES=5"]) {
      assert.match(described, new RegExp(`^${line} {2}# `, "m"));
    }
    assert.match(described, /^PUSH_APNS_KEY_ID=\(unset\) {2}# /m);
    const env = { PUSH_PORT: "1234", MONGO_URL: "mongodb://admin:hunter2@db:27017/im", PUSH_XIAOMI_APP_SECRET: "xiaomi-s3cret" };
    const checked = runPush(["--check-config"], env);
    assert.equal(checked.status, 0, checked.stderr);
    assert.equal(checked.stdout.trim(), "push: configuration is valid");
    const printed = runPush(["--print-config"], env);
    assert.equal(JSON.parse(printed.stdout).PUSH_PORT, 1234);
    assert.doesNotMatch(printed.stdout, /hunter2|xiaomi-s3cret/);
  });

  it("stops with exit code 78 naming bad settings, unknown PUSH_ settings and incomplete provider credentials", () => {
    const bad = runPush([], { PUSH_BATCH: "0", PUSH_CONSUMR: "x" });
    assert.equal(bad.status, 78, bad.stderr);
    assert.match(bad.stderr, /PUSH_BATCH/);
    assert.match(bad.stderr, /PUSH_CONSUMR: unknown setting/);
    // Checked before any store is contacted: nothing listens at these URLs.
    const incomplete = runPush([], {
      PUSH_APNS_KEY_ID: "ABC123DEFG",
      MONGO_URL: "mongodb://127.0.0.1:1/im",
      REDIS_URL: "redis://127.0.0.1:1",
    });
    assert.equal(incomplete.status, 78, incomplete.stderr);
    assert.match(incomplete.stderr, /PUSH_APNS_TEAM_ID: required/);
  });
});
