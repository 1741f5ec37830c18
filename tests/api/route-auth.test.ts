// Issue 10, section 3: routes declare whether they need a caller; API_PUBLIC_ROUTES stays configurable.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import { allRoutes, defaultPublicRoutes } from "@im/api";
import { ApiClient, errorOf } from "../support/client.js";
import { startStack } from "../support/stack.js";
import { registerUser } from "../support/users.js";

const key = (route: { method: string; path: string }) => `${route.method.toUpperCase()} ${route.path}`;

describe("route auth declarations", () => {
  it("every route declares user or public, and the default public list opens exactly the public ones", () => {
    for (const route of allRoutes) assert.ok(route.auth === "user" || route.auth === "public", key(route));
    const open = new Set(defaultPublicRoutes);
    for (const route of allRoutes) {
      assert.equal(open.has(key(route)), route.auth === "public", `${key(route)} is ${route.auth}`);
    }
  });

  it("refuses to start (exit 78) when API_PUBLIC_ROUTES names a route that needs a caller", () => {
    const check = (routes: string) =>
      spawnSync(process.execPath, ["--conditions=development", "--import", "tsx", "apps/api/src/main.ts", "--check-config"], {
        cwd: new URL("../..", import.meta.url).pathname,
        env: { PATH: process.env.PATH ?? "", API_PUBLIC_ROUTES: routes },
        encoding: "utf8",
        timeout: 60_000,
      });
    const refused = check("GET /healthz,GET /v1/users/me");
    assert.equal(refused.status, 78, refused.stderr);
    assert.match(refused.stderr, /API_PUBLIC_ROUTES: GET \/v1\/users\/me needs a logged-in caller/);
    assert.equal(check("GET /healthz").status, 0);
  });

  it("a public route left out of API_PUBLIC_ROUTES needs a token", async () => {
    const stack = await startStack({
      API_PUBLIC_ROUTES: "GET /healthz,POST /v1/sms/codes,POST /v1/auth/register,POST /v1/auth/login",
    });
    try {
      const client = new ApiClient(stack.api.url);
      const anonymous = await client.get("/v1/config");
      assert.equal(anonymous.status, 401);
      assert.equal(errorOf(anonymous).key, "TOKEN_MISSING");
      const user = await registerUser(stack, client);
      assert.equal((await client.get("/v1/config", user.token)).status, 200);
      assert.equal((await client.get("/healthz")).status, 200);
    } finally {
      await stack.stop();
    }
  });
});
