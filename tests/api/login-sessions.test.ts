import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { ApiClient, errorOf } from "../support/client.js";
import { loginHelpers } from "../support/login.js";
import { startStack, type TestStack } from "../support/stack.js";
import { registerUser } from "../support/users.js";

const MAX_FAILURES = 3;
const MAX_SESSIONS = 3;
const TOKEN_TTL = 60;
const LOGIN_WINDOW = 900;

const sessionKey = (token: string) => `auth:session:${createHash("sha256").update(token).digest("hex")}`;

describe("login and sessions", () => {
  let stack: TestStack;
  let client: ApiClient;
  before(async () => {
    stack = await startStack({
      API_LOGIN_MAX_FAILURES: String(MAX_FAILURES),
      API_LOGIN_WINDOW_SECONDS: String(LOGIN_WINDOW),
      API_MAX_SESSIONS: String(MAX_SESSIONS),
      API_TOKEN_TTL_SECONDS: String(TOKEN_TTL),
    });
    client = new ApiClient(stack.api.url);
  });
  after(() => stack.stop());

  const { loginOk, works, sessions } = loginHelpers(() => client);

  it("logs in with the right password and hands out a fresh 256-bit token", async () => {
    const user = await registerUser(stack, client);
    const startedAt = Date.now();
    const first = await loginOk(user, { resource: "web", deviceId: "browser-1" });
    assert.match(first.accessToken, /^[A-Za-z0-9_-]+$/, "base64url");
    assert.ok(first.accessToken.length >= 43, `${first.accessToken.length} chars`);
    assert.ok(Buffer.from(first.accessToken, "base64url").length >= 32, "at least 256 bits");
    assert.equal(first.user.userId, user.userId);
    assert.ok(first.expiresAt >= startedAt + TOKEN_TTL * 1000 && first.expiresAt <= Date.now() + TOKEN_TTL * 1000);
    const second = await loginOk(user);
    assert.notEqual(second.accessToken, first.accessToken);
    assert.notEqual(second.sessionId, first.sessionId);
    assert.ok(await works(first.accessToken));
    assert.ok(await works(second.accessToken));

    const doc = await stack.api.deps.models.users.findOne({ userId: user.userId }).lean();
    assert.ok(doc?.active && doc.active >= startedAt, "the login time is recorded");
    // Only the token's hash is in Redis.
    const keys = await stack.api.deps.redis.keys("auth:*");
    assert.ok(!keys.some((key) => key.includes(first.accessToken)));
    assert.ok(keys.includes(sessionKey(first.accessToken)));
  });

  it("reads the token from the Authorization header, ?access_token= and a form field", async () => {
    const user = await registerUser(stack, client);
    const { accessToken } = await loginOk(user);
    const bearer = await client.call("GET", "/v1/users/me", { headers: { authorization: `bearer ${accessToken}` } });
    assert.equal(bearer.status, 200, "the scheme is case-insensitive");
    const query = await client.get<{ userId: number }>(`/v1/users/me?access_token=${encodeURIComponent(accessToken)}`);
    assert.equal(query.status, 200);
    assert.equal(query.body.userId, user.userId);

    const form = await client.call<{ nickname: string }>("PATCH", "/v1/users/me", {
      raw: `access_token=${encodeURIComponent(accessToken)}&nickname=FormName`,
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    assert.equal(form.status, 200, JSON.stringify(form.body));
    assert.equal(form.body.nickname, "FormName", "form fields are the body");

    const logout = await client.call("POST", "/v1/auth/logout", {
      raw: `access_token=${encodeURIComponent(accessToken)}`,
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    assert.equal(logout.status, 204);
    assert.equal(await works(accessToken), false, "the form-field logout ended that session");
  });

  it("answers TOKEN_MISSING without a token and TOKEN_INVALID for a bad one", async () => {
    const missing = await client.get("/v1/users/me");
    assert.equal(missing.status, 401);
    assert.equal(errorOf(missing).key, "TOKEN_MISSING");
    assert.equal(errorOf(await client.get("/v1/users/me?access_token=")).key, "TOKEN_MISSING");

    const user = await registerUser(stack, client);
    const badHeaders = [
      "Bearer garbage",
      `Bearer ${"A".repeat(43)}`,
      `Bearer ${user.token}x`,
      `Bearer ${"a".repeat(600)}`,
      "Bearer",
      `Basic ${user.token}`,
      user.token,
      `Bearer ${user.token} extra`,
    ];
    for (const authorization of badHeaders) {
      const reply = await client.call("GET", "/v1/users/me", { headers: { authorization } });
      assert.equal(reply.status, 401, authorization.slice(0, 40));
      assert.equal(errorOf(reply).key, "TOKEN_INVALID", authorization.slice(0, 40));
    }
    const badQuery = await client.get("/v1/users/me?access_token=garbage");
    assert.equal(errorOf(badQuery).key, "TOKEN_INVALID");
    assert.ok(await works(user.token), "the real token still works");
  });

  it("ends a session on logout; the token is refused afterwards", async () => {
    const user = await registerUser(stack, client);
    const other = await loginOk(user);
    const out = await client.post("/v1/auth/logout", undefined, user.token);
    assert.equal(out.status, 204);
    const reuse = await client.get("/v1/users/me", user.token);
    assert.equal(reuse.status, 401);
    assert.equal(errorOf(reuse).key, "TOKEN_INVALID");
    const twice = await client.post("/v1/auth/logout", undefined, user.token);
    assert.equal(errorOf(twice).key, "TOKEN_INVALID");
    assert.ok(await works(other.accessToken), "logout ends only its own session");
    assert.equal((await sessions(other.accessToken)).length, 1);
  });

  it("keeps several devices logged in and lists them with the current one marked", async () => {
    const user = await registerUser(stack, client);
    await client.post("/v1/auth/logout", undefined, user.token);
    const phone = await loginOk(user, { resource: "android", deviceId: "phone-1" });
    const laptop = await loginOk(user, { resource: "pc", deviceId: "laptop-1" });
    assert.ok(await works(phone.accessToken));
    assert.ok(await works(laptop.accessToken));
    const items = await sessions(laptop.accessToken);
    assert.deepEqual(
      items.map((s) => [s.sessionId, s.resource, s.deviceId, s.current]),
      [
        [phone.sessionId, "android", "phone-1", false],
        [laptop.sessionId, "pc", "laptop-1", true],
      ],
    );
    for (const item of items) {
      assert.ok(item.createdAt > 0);
      assert.equal(typeof item.ip, "string");
      assert.ok(!JSON.stringify(item).includes(phone.accessToken) && !JSON.stringify(item).includes(laptop.accessToken));
    }
    const fromPhone = await sessions(phone.accessToken);
    assert.deepEqual(
      fromPhone.map((s) => s.current),
      [true, false],
    );
  });

  it("replaces the old session when the same device logs in again", async () => {
    const user = await registerUser(stack, client);
    const first = await loginOk(user, { deviceId: "tablet-7" });
    const second = await loginOk(user, { deviceId: "tablet-7" });
    assert.equal(await works(first.accessToken), false, "the device's old token is revoked");
    assert.ok(await works(second.accessToken));
    assert.ok(await works(user.token), "other devices stay");
    const items = await sessions(second.accessToken);
    assert.equal(items.filter((s) => s.deviceId === "tablet-7").length, 1);
    assert.equal(items.length, 2);
    // Logins without a deviceId never replace each other.
    const anonA = await loginOk(user);
    assert.ok(await works(anonA.accessToken));
    assert.ok(await works(second.accessToken));
  });

  it("signs out every older device on login when multipleDevices is 0", async () => {
    const user = await registerUser(stack, client);
    const other = await loginOk(user, { deviceId: "other" });
    const set = await client.patch<{ multipleDevices: number }>("/v1/users/me/settings", { multipleDevices: 0 }, user.token);
    assert.equal(set.status, 200, JSON.stringify(set.body));
    assert.equal(set.body.multipleDevices, 0);
    const single = await loginOk(user, { deviceId: "only-one" });
    assert.equal(await works(user.token), false);
    assert.equal(await works(other.accessToken), false);
    assert.ok(await works(single.accessToken));
    assert.equal((await sessions(single.accessToken)).length, 1);
    const next = await loginOk(user, { deviceId: "another" });
    assert.equal(await works(single.accessToken), false);
    assert.ok(await works(next.accessToken));

    // Back to several devices: logins coexist again.
    assert.equal((await client.patch("/v1/users/me/settings", { multipleDevices: 1 }, next.accessToken)).status, 200);
    const again = await loginOk(user, { deviceId: "third" });
    assert.ok(await works(next.accessToken));
    assert.ok(await works(again.accessToken));
  });

  it(`keeps at most ${MAX_SESSIONS} sessions, revoking the oldest`, async () => {
    const user = await registerUser(stack, client); // session 1
    const tokens = [user.token];
    for (let i = 0; i < MAX_SESSIONS + 1; i++) {
      tokens.push((await loginOk(user, { deviceId: `device-${i}` })).accessToken);
      await sleep(2); // distinct creation times: the order is by time
    }
    const alive = await Promise.all(tokens.map(works));
    assert.deepEqual(alive, [false, false, true, true, true], "the two oldest were revoked");
    const items = await sessions(tokens[4] ?? "");
    assert.equal(items.length, MAX_SESSIONS);
    assert.deepEqual(
      items.map((s) => s.deviceId),
      ["device-1", "device-2", "device-3"],
    );
  });

  it("signs out another device by session id", async () => {
    const user = await registerUser(stack, client);
    const other = await loginOk(user, { deviceId: "stolen-phone" });
    const removed = await client.delete(`/v1/auth/sessions/${other.sessionId}`, user.token);
    assert.equal(removed.status, 204);
    assert.equal(await works(other.accessToken), false);
    assert.ok(await works(user.token));
    const again = await client.delete(`/v1/auth/sessions/${other.sessionId}`, user.token);
    assert.equal(again.status, 404);
    assert.equal(errorOf(again).key, "SESSION_NOT_FOUND");

    const unknown = await client.delete("/v1/auth/sessions/00000000-0000-4000-8000-000000000000", user.token);
    assert.equal(unknown.status, 404);
    assert.equal(errorOf(unknown).key, "SESSION_NOT_FOUND");
    const notUuid = await client.delete("/v1/auth/sessions/not-a-uuid", user.token);
    assert.equal(notUuid.status, 400);
    assert.equal(errorOf(notUuid).issues?.[0]?.field, "params.sessionId");

    // Nobody can sign out someone else's device.
    const stranger = await registerUser(stack, client);
    const strangerSession = (await sessions(stranger.token))[0];
    assert.ok(strangerSession);
    const foreign = await client.delete(`/v1/auth/sessions/${strangerSession.sessionId}`, user.token);
    assert.equal(foreign.status, 404);
    assert.ok(await works(stranger.token));

    // Signing out the current session works too.
    const mine = (await sessions(user.token)).find((s) => s.current);
    assert.ok(mine);
    assert.equal((await client.delete(`/v1/auth/sessions/${mine.sessionId}`, user.token)).status, 204);
    assert.equal(await works(user.token), false);
  });

  it("expires tokens with their TTL", async () => {
    const user = await registerUser(stack, client);
    const other = await loginOk(user);
    const ttl = await stack.api.deps.redis.ttl(sessionKey(user.token));
    assert.ok(ttl > 0 && ttl <= TOKEN_TTL, `ttl ${ttl}`);
    const listTtl = await stack.api.deps.redis.ttl(`auth:user:${user.userId}:sessions`);
    assert.ok(listTtl > 0 && listTtl <= TOKEN_TTL, `session list ttl ${listTtl}`);

    assert.equal(await stack.api.deps.redis.pexpire(sessionKey(user.token), 1), 1);
    await sleep(20);
    const expired = await client.get("/v1/users/me", user.token);
    assert.equal(expired.status, 401);
    assert.equal(errorOf(expired).key, "TOKEN_INVALID");
    const items = await sessions(other.accessToken);
    assert.deepEqual(
      items.map((s) => s.sessionId),
      [other.sessionId],
      "the expired session is not listed",
    );
    // A later login tidies the expired entry out of the user's session list.
    await loginOk(user);
    const members = await stack.api.deps.redis.zrange(`auth:user:${user.userId}:sessions`, 0, -1);
    assert.equal(members.length, 2);
  });
});
