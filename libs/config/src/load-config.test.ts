import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { z } from "zod";
import { envBoolean, envInt, envList } from "./env-types.js";
import { ConfigError, describeConfig, loadConfig, redactConfig } from "./load-config.js";

const schema = z.object({
  API_PORT: envInt(3000, 1, 65535).describe("HTTP port"),
  API_DEBUG: envBoolean(false).describe("debug"),
  API_LIST: envList(["a", "b"]).describe("a list"),
  MONGO_URL: z.string().url().describe("MongoDB URL"),
});

describe("loadConfig", () => {
  it("applies defaults and coerces values", () => {
    const config = loadConfig(schema, { MONGO_URL: "mongodb://x:1/db", API_DEBUG: "on", API_LIST: " x, y ,," });
    assert.deepEqual(config, { API_PORT: 3000, API_DEBUG: true, API_LIST: ["x", "y"], MONGO_URL: "mongodb://x:1/db" });
  });

  it("names every bad or missing setting", () => {
    assert.throws(
      () => loadConfig(schema, { API_PORT: "70000", API_DEBUG: "maybe" }, { ownPrefixes: ["API_"] }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        const text = error.message;
        assert.match(text, /API_PORT/);
        assert.match(text, /API_DEBUG/);
        assert.match(text, /MONGO_URL: .*\(not set\)/);
        return true;
      },
    );
  });

  it("reports unknown settings with an own prefix", () => {
    assert.throws(
      () => loadConfig(schema, { MONGO_URL: "mongodb://x/db", API_PROT: "1" }, { ownPrefixes: ["API_"] }),
      /API_PROT: unknown setting/,
    );
  });

  it("describes and redacts", () => {
    assert.ok(describeConfig(schema).some((line) => line.startsWith("API_PORT=3000")));
    assert.deepEqual(redactConfig({ MONGO_URL: "mongodb://u:pw@h/db", SMS_SECRET: "s" }), {
      MONGO_URL: "mongodb://u:***@h/db",
      SMS_SECRET: "***",
    });
  });
});
