import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";

const root = new URL("../..", import.meta.url).pathname;

function runApi(args: string[], env: Record<string, string>) {
  return spawnSync(process.execPath, ["--conditions=development", "--import", "tsx", "apps/api/src/main.ts", ...args], {
    cwd: root,
    env: { PATH: process.env.PATH ?? "", ...env },
    encoding: "utf8",
    timeout: 60_000,
  });
}

describe("API start-up configuration", () => {
  it("stops with exit code 78 and names every bad setting", () => {
    const result = runApi([], { API_PORT: "not-a-port", MONGO_URL: "http://nope", API_SMS_PROVIDR: "x" });
    assert.equal(result.status, 78, result.stderr);
    assert.match(result.stderr, /API_PORT/);
    assert.match(result.stderr, /MONGO_URL: must be a mongodb:\/\/ URL/);
    assert.match(result.stderr, /API_SMS_PROVIDR: unknown setting/);
  });

  it("requires the Aliyun credentials when the Aliyun provider is chosen", () => {
    const result = runApi(["--check-config"], { API_SMS_PROVIDER: "aliyun", ALIYUN_SMS_ACCESS_KEY_ID: "id" });
    assert.equal(result.status, 78);
    assert.match(result.stderr, /ALIYUN_SMS_ACCESS_KEY_SECRET: required/);
    assert.doesNotMatch(result.stderr, /ALIYUN_SMS_ACCESS_KEY_ID: required/);
  });

  it("checks, prints (secrets redacted) and describes the configuration", () => {
    const env = { MONGO_URL: "mongodb://admin:hunter2@db:27017/im", ALIYUN_SMS_ACCESS_KEY_SECRET: "s3cret" };
    assert.match(runApi(["--check-config"], env).stdout, /configuration is valid/);
    const printed = runApi(["--print-config"], env).stdout;
    assert.match(printed, /admin:\*\*\*@db/);
    assert.doesNotMatch(printed, /hunter2|s3cret/);
    assert.match(runApi(["--describe-config"], {}).stdout, /^API_PORT=8092 {2}# /m);
  });
});
