// Issue 10, item 2q (and issue 11 for the upload app): a bounded schemathesis run over each app's served
// /openapi.json with a logged-in user's token. It fails on any 5xx, any status the operation does not document, any response body that does
// not match its documented schema, and any undeclared method not answered 405 with Allow.
// schemathesis (PyPI, 4.x) is installed by scripts/ensure-tools.sh into the tools cache; $SCHEMATHESIS_BIN overrides.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { toolsDir } from "@im/testing";
import { ApiClient } from "../support/client.js";
import { startStack, type TestStack } from "../support/stack.js";
import { startUploadStack, type UploadStack } from "../support/upload.js";
import { registerUser, type TestUser } from "../support/users.js";

/** The checks that must all pass (schemathesis names). */
const CHECKS = [
  "not_a_server_error",
  "status_code_conformance",
  "response_schema_conformance",
  "content_type_conformance",
  "unsupported_method",
];
/** Examples per operation and phase: with ~50 operations about a minute on 2 cores (under 3 when shared). */
const MAX_EXAMPLES = Number(process.env.SCHEMATHESIS_MAX_EXAMPLES ?? 100);
/** Operations that would end the session the run uses. */
const EXCLUDED_PATHS = ["/v1/auth/logout"];
/** Upload app operations left out: deleting the caller's avatar-less state is fine, but nothing ends the session there. */
const UPLOAD_EXCLUDED_PATHS: string[] = [];

function schemathesisBinary(): string {
  if (process.env.SCHEMATHESIS_BIN) return process.env.SCHEMATHESIS_BIN;
  const cached = join(toolsDir(), "schemathesis");
  if (existsSync(cached)) return cached;
  throw new Error(`schemathesis not found at ${cached}: run scripts/ensure-tools.sh (or set SCHEMATHESIS_BIN)`);
}

function run(binary: string, args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { env: { ...process.env, NO_COLOR: "1" } });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output }));
  });
}

/** Runs schemathesis against the app at `url` with `token`; fails with its report on any problem. */
async function fuzz(url: string, token: string, excluded: readonly string[]): Promise<void> {
  const args = [
    "run",
    `${url}/openapi.json`,
    "--url",
    url,
    "--header",
    `Authorization: Bearer ${token}`,
    "--checks",
    CHECKS.join(","),
    "--phases",
    "examples,coverage,fuzzing",
    "--max-examples",
    String(MAX_EXAMPLES),
    "--seed",
    process.env.SCHEMATHESIS_SEED ?? "20261130",
    "--workers",
    "2",
    "--request-timeout",
    "10",
    "--generation-database",
    "none",
    "--no-color",
    "--output-truncate",
    "false",
    ...excluded.flatMap((path) => ["--exclude-path", path]),
  ];
  const started = Date.now();
  const { code, output } = await run(schemathesisBinary(), args);
  const seconds = Math.round((Date.now() - started) / 1000);
  assert.equal(code, 0, `schemathesis found problems (exit ${code}, ${seconds} s):\n${output}`);
  assert.match(output, /passed/i, output);
}

describe("schemathesis: the API agrees with its OpenAPI document", { timeout: 10 * 60_000 }, () => {
  let stack: TestStack;
  let user: TestUser;
  before(async () => {
    stack = await startStack({ LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent" });
    user = await registerUser(stack, new ApiClient(stack.api.url));
  });
  after(() => stack.stop());

  it("finds no server error and no response that violates the document", () => fuzz(stack.api.url, user.token, EXCLUDED_PATHS));
});

describe("schemathesis: the upload app agrees with its OpenAPI document", { timeout: 10 * 60_000 }, () => {
  let media: UploadStack;
  let user: TestUser;
  before(async () => {
    media = await startUploadStack();
    user = await registerUser(media.stack, media.api);
  });
  after(() => media.stop());

  it("finds no server error and no response that violates the document", () => fuzz(media.upload.url, user.token, UPLOAD_EXCLUDED_PATHS));
});
