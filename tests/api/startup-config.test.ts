import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";

const root = new URL("../..", import.meta.url).pathname;

function run(entry: string, args: string[], env: Record<string, string>) {
  return spawnSync(process.execPath, ["--conditions=development", "--import", "tsx", entry, ...args], {
    cwd: root,
    env: { PATH: process.env.PATH ?? "", ...env },
    encoding: "utf8",
    timeout: 60_000,
  });
}

const runApi = (args: string[], env: Record<string, string>) => run("apps/api/src/main.ts", args, env);

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

// Every process starts through the one kit (@im/service runService): the same flags and exit codes everywhere.
const processes = [
  { name: "api", entry: "apps/api/src/main.ts", port: "API_PORT", defaultPort: 8092, mongo: true },
  { name: "gateway", entry: "apps/gateway/src/main.ts", port: "GATEWAY_PORT", defaultPort: 5280, mongo: true },
  { name: "scheduler", entry: "apps/scheduler/src/main.ts", port: "SCHEDULER_PORT", defaultPort: 9470, mongo: true },
  { name: "operator", entry: "operator/src/main.ts", port: "OPERATOR_PORT", defaultPort: 8080, mongo: false },
];

for (const app of processes) {
  describe(`${app.name} start-up configuration`, () => {
    it("describes, checks and prints the configuration", () => {
      assert.match(run(app.entry, ["--describe-config"], {}).stdout, new RegExp(`^${app.port}=${app.defaultPort} {2}# `, "m"));
      const env: Record<string, string> = {
        [app.port]: "1234",
        ...(app.mongo ? { MONGO_URL: "mongodb://admin:hunter2@db:27017/im" } : {}),
      };
      const checked = run(app.entry, ["--check-config"], env);
      assert.equal(checked.status, 0, checked.stderr);
      assert.equal(checked.stdout.trim(), `${app.name}: configuration is valid`);
      const printed = run(app.entry, ["--print-config"], env);
      assert.equal(printed.status, 0, printed.stderr);
      assert.equal(JSON.parse(printed.stdout)[app.port], 1234);
      assert.doesNotMatch(printed.stdout, /hunter2/);
    });

    it("stops with exit code 78 and names the bad setting", () => {
      const result = run(app.entry, [], { [app.port]: "not-a-port", [`${app.port.split("_")[0]}_NO_SUCH_SETTING`]: "x" });
      assert.equal(result.status, 78, result.stderr);
      assert.match(result.stderr, new RegExp(`^${app.name}: invalid configuration`, "m"));
      assert.match(result.stderr, new RegExp(`${app.port}: `));
      assert.match(result.stderr, /_NO_SUCH_SETTING: unknown setting/);
    });
  });
}
