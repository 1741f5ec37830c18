import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { allRoutes } from "@im/api";
import { type ErrorCode, httpStatusOf } from "@im/protocol";
import { ApiClient, errorOf } from "../support/client.js";
import { startStack, type TestStack } from "../support/stack.js";
import { registerUser, type TestUser } from "../support/users.js";

const BODY_LIMIT_KB = 2;

/** The `_count` sample of the request-duration histogram for one label set, or undefined. */
function durationCount(metrics: string, labels: { method: string; route: string; status: string }): number | undefined {
  for (const line of metrics.split("\n")) {
    if (!line.startsWith("http_request_duration_seconds_count{")) continue;
    if (!line.includes(`method="${labels.method}"`)) continue;
    if (!line.includes(`route="${labels.route}"`)) continue;
    if (!line.includes(`status="${labels.status}"`)) continue;
    return Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return undefined;
}

describe("http basics", () => {
  let stack: TestStack;
  let client: ApiClient;
  let user: TestUser;
  before(async () => {
    stack = await startStack({ API_BODY_LIMIT_KB: String(BODY_LIMIT_KB) });
    client = new ApiClient(stack.api.url);
    user = await registerUser(stack, client);
  });
  after(() => stack.stop());

  it("answers liveness and readiness without a token", async () => {
    const live = await client.get("/healthz");
    assert.equal(live.status, 200);
    assert.deepEqual(live.body, { status: "ok" });
    const ready = await client.get("/readyz");
    assert.equal(ready.status, 200);
    assert.deepEqual(ready.body, { status: "ready", mongo: "ok", redis: "ok" });
  });

  it("exports request durations labelled by route pattern, never the raw path", async () => {
    const other = await registerUser(stack, client);
    assert.equal((await client.get(`/v1/users/${other.userId}`, user.token)).status, 200);
    assert.equal((await client.get(`/v1/users/${other.userId}`, user.token)).status, 200);
    assert.equal((await client.get("/v1/users/99999999", user.token)).status, 404);
    assert.equal((await client.get("/no/such/thing/42")).status, 404);

    const reply = await client.get<string>("/metrics");
    assert.equal(reply.status, 200);
    assert.match(reply.headers.get("content-type") ?? "", /text\/plain/);
    const text = reply.body;
    assert.match(text, /# TYPE http_request_duration_seconds histogram/);
    assert.match(text, /http_request_duration_seconds_bucket\{[^}]*le="0\.005"/);
    // Default process metrics are exported too.
    assert.match(text, /process_cpu_user_seconds_total/);
    const ok = durationCount(text, { method: "GET", route: "/v1/users/:userId", status: "200" });
    assert.ok(ok !== undefined && ok >= 2, `two 200s on /v1/users/:userId counted:\n${text}`);
    const missing = durationCount(text, { method: "GET", route: "/v1/users/:userId", status: "404" });
    assert.ok(missing !== undefined && missing >= 1, "the 404 of a matched route keeps its pattern");
    assert.ok((durationCount(text, { method: "GET", route: "unmatched", status: "404" }) ?? 0) >= 1, "unknown routes are 'unmatched'");
    assert.ok(!text.includes(`/v1/users/${other.userId}`), "no raw user id in labels");
    assert.ok(!text.includes("/no/such/thing"), "no raw unknown path in labels");
    assert.ok((durationCount(text, { method: "POST", route: "/v1/auth/register", status: "201" }) ?? 0) >= 2);
  });

  it("documents every route in /openapi.json with {param} paths", async () => {
    const reply = await client.get<{
      openapi: string;
      paths: Record<string, Record<string, { operationId: string; security?: unknown[]; parameters: { name: string; in: string }[] }>>;
      components: { schemas: Record<string, unknown> };
    }>("/openapi.json");
    assert.equal(reply.status, 200);
    const doc = reply.body;
    assert.equal(doc.openapi, "3.1.0");
    assert.ok(allRoutes.length >= 15, "the route list is not empty");
    const operationIds = new Set<string>();
    for (const route of allRoutes) {
      const path = route.path.replace(/:([A-Za-z0-9_]+)/g, "{$1}");
      const operation = doc.paths[path]?.[route.method];
      assert.ok(operation, `${route.method.toUpperCase()} ${path} is documented`);
      assert.ok(!operationIds.has(operation.operationId), `operationId ${operation.operationId} is unique`);
      operationIds.add(operation.operationId);
      for (const name of [...route.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1])) {
        assert.ok(
          operation.parameters.some((p) => p.in === "path" && p.name === name),
          `${path} documents its path parameter ${name}`,
        );
      }
    }
    for (const path of Object.keys(doc.paths)) assert.ok(!path.includes(":"), `${path} uses {param} form`);
    const documented = Object.values(doc.paths).reduce((n, ops) => n + Object.keys(ops).length, 0);
    assert.equal(documented, allRoutes.length, "nothing documented that is not served");
    assert.deepEqual(doc.paths["/v1/auth/login"]?.post?.security, [], "public routes need no token");
    assert.equal(doc.paths["/v1/users/me"]?.get?.security, undefined, "private routes use the global bearer scheme");
    assert.ok(doc.components.schemas.Error);
  });

  it("documents each route's error responses under the catalogue's status of each code, and no catch-all", async () => {
    type Responses = Record<string, { description: string; content?: Record<string, { schema: { allOf?: unknown[] } }> }>;
    const doc = (await client.get<{ paths: Record<string, Record<string, { responses: Responses }>> }>("/openapi.json")).body;
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const where = `${method.toUpperCase()} ${path}`;
        assert.equal(operation.responses.default, undefined, `${where}: no default response`);
        for (const [status, response] of Object.entries(operation.responses)) {
          if (Number(status) < 400) continue;
          const keys = JSON.stringify(response.content?.["application/json"]?.schema.allOf?.[1]).match(/"enum":\[([^\]]*)\]/)?.[1];
          assert.ok(keys, `${where} ${status} lists its codes`);
          for (const key of JSON.parse(`[${keys}]`) as ErrorCode[]) assert.equal(httpStatusOf(key), Number(status), `${where}: ${key}`);
        }
        assert.ok(operation.responses["400"] && operation.responses["500"], `${where} documents 400 and 500`);
      }
    }
    // The catalogue decides NOT_FRIENDS' status, and the document says the same.
    assert.equal(httpStatusOf("NOT_FRIENDS"), 403);
    assert.match(doc.paths["/v1/friends/{userId}"]?.patch?.responses["403"]?.description ?? "", /NOT_FRIENDS/);
  });

  it("states in the document the rules the server enforces (issue 10, 2q inputs)", async () => {
    /** The parts of a JSON Schema and an OpenAPI operation this test reads. */
    interface Schema {
      type?: string;
      minimum?: number;
      maximum?: number;
      minLength?: number;
      uniqueItems?: boolean;
      not?: unknown;
      minProperties?: number;
      properties: Record<string, Schema>;
    }
    interface Operation {
      requestBody: { content: Record<string, { schema: Schema }> };
      parameters: Array<{ name: string; schema: Schema }>;
    }
    const doc = (await client.get<{ paths: Record<string, Record<string, Operation>> }>("/openapi.json")).body;
    const operation = (path: string, method: string): Operation => {
      const found = doc.paths[path]?.[method];
      assert.ok(found, `${method} ${path} is documented`);
      return found;
    };
    const body = (path: string, method: string): Schema => {
      const schema = operation(path, method).requestBody.content["application/json"]?.schema;
      assert.ok(schema, `${method} ${path} takes JSON`);
      return schema;
    };
    const property = (schema: Schema, name: string): Schema => {
      const found = schema.properties[name];
      assert.ok(found, `property ${name}`);
      return found;
    };
    const createRoom = body("/v1/rooms", "post");
    assert.equal(property(createRoom, "name").minLength, 1, "POST /v1/rooms {name: ''} is refused, so documented");
    assert.equal(property(createRoom, "userIds").uniqueItems, true, "repeated userIds are refused, so documented");
    assert.deepEqual(property(body("/v1/users/me/settings", "patch"), "chatRecordTimeOut").not, { const: 0 });
    assert.deepEqual(property(body("/v1/friends/{userId}", "patch"), "chatRecordTimeOut").not, { const: 0 });
    assert.equal(property(body("/v1/friend-groups", "post"), "userIds").uniqueItems, true);
    assert.equal(body("/v1/rooms/{roomId}", "patch").minProperties, 1);
    const page = operation("/v1/friends", "get").parameters.find((p) => p.name === "page");
    assert.deepEqual([page?.schema.type, page?.schema.minimum, page?.schema.maximum], ["integer", 0, 10_000]);
    // And the server refuses what the document refuses.
    const bad = [
      ["POST", "/v1/rooms", { name: "" }],
      ["POST", "/v1/rooms", { name: "   " }],
      ["POST", "/v1/rooms", { name: "r", userIds: [user.userId + 1, user.userId + 1] }],
      ["PATCH", "/v1/users/me/settings", { chatRecordTimeOut: 0 }],
    ] as const;
    for (const [method, path, payload] of bad) {
      const reply = await client.call(method, path, { body: payload, token: user.token });
      assert.equal(reply.status, 400, `${method} ${path} ${JSON.stringify(payload)}`);
      assert.equal(errorOf(reply).key, "VALIDATION_FAILED");
    }
  });

  it("answers unknown routes with 404 ROUTE_NOT_FOUND", async () => {
    for (const [method, path] of [
      ["GET", "/nope"],
      ["GET", "/v1/users/me/extra"],
      ["POST", "/v1/nope"],
    ] as const) {
      const reply = await client.call(method, path, { token: user.token });
      assert.equal(reply.status, 404, `${method} ${path}`);
      assert.equal(errorOf(reply).key, "ROUTE_NOT_FOUND");
      assert.equal(errorOf(reply).code, 1004);
    }
  });

  it("answers a known path asked with an undeclared method with 405 and an Allow header (not 404)", async () => {
    for (const [method, path, allow] of [
      ["POST", "/v1/users/me", ["GET", "PATCH"]],
      ["DELETE", "/v1/config", ["GET"]],
      ["PUT", "/v1/rooms", ["GET", "POST"]],
      ["PATCH", `/v1/users/${user.userId}`, ["GET"]],
      ["POST", "/openapi.json", ["GET"]],
    ] as const) {
      const reply = await client.call(method, path, { token: user.token });
      assert.equal(reply.status, 405, `${method} ${path}`);
      assert.equal(errorOf(reply).key, "METHOD_NOT_ALLOWED");
      const allowed = (reply.headers.get("allow") ?? "").split(/,\s*/);
      for (const expected of allow)
        assert.ok(allowed.includes(expected), `${method} ${path}: Allow ${allowed.join(",")} lacks ${expected}`);
      assert.ok(!allowed.includes(method), `${method} ${path}: Allow must not list ${method}`);
    }
    const options = await client.call("OPTIONS", "/v1/users/me", { token: user.token });
    assert.equal(options.status, 204);
    assert.match(options.headers.get("allow") ?? "", /PATCH/);
  });

  it("reads an empty or non-decimal ?page= as 400 naming it, not as page 0", async () => {
    for (const value of ["", "1e1", "0x1", "+1", "-1", "1.0", " 1"]) {
      const reply = await client.get(`/v1/friends?page=${encodeURIComponent(value)}`, user.token);
      assert.equal(reply.status, 400, JSON.stringify(value));
      assert.equal(errorOf(reply).key, "VALIDATION_FAILED");
      assert.deepEqual(
        errorOf(reply).issues?.map((issue) => issue.field),
        ["query.page"],
      );
    }
    assert.equal((await client.get("/v1/friends?page=0&pageSize=5", user.token)).status, 200);
  });

  it("answers a corrupt compressed body 400 MALFORMED_BODY, an unknown encoding 415, 1,001 form fields 413 — never 500", async () => {
    for (const encoding of ["gzip", "deflate", "br"]) {
      for (const type of ["application/json", "application/x-www-form-urlencoded"]) {
        const reply = await client.call("POST", "/v1/auth/login", {
          raw: "xx",
          headers: { "content-type": type, "content-encoding": encoding },
        });
        assert.equal(reply.status, 400, `${encoding} ${type}`);
        assert.equal(errorOf(reply).key, "MALFORMED_BODY", `${encoding} ${type}`);
      }
    }
    const unknown = await client.call("POST", "/v1/auth/login", { raw: "{}", headers: { "content-encoding": "compress" } });
    assert.equal(unknown.status, 415);
    assert.equal(errorOf(unknown).key, "UNSUPPORTED_MEDIA_TYPE");
    const charset = await client.call("POST", "/v1/auth/login", {
      raw: "{}",
      headers: { "content-type": "application/json; charset=latin-9" },
    });
    assert.equal(charset.status, 415);
    assert.equal(errorOf(charset).key, "UNSUPPORTED_MEDIA_TYPE");
    // 1,001 fields in 2,001 bytes: under the body limit, over the parser's 1,000-field limit.
    const fields = Array.from({ length: 1001 }, () => "a").join("&");
    assert.ok(fields.length < BODY_LIMIT_KB * 1024);
    const form = await client.call("POST", "/v1/auth/login", {
      raw: fields,
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    assert.equal(form.status, 413);
    assert.equal(errorOf(form).key, "PAYLOAD_TOO_LARGE");
  });

  it("takes forms only from authenticated callers and refuses other body types with 415", async () => {
    // Found by black-box testing: a foreign web page could make visitors' browsers post forms (no CORS
    // preflight) to the public routes — SMS codes sent, wrong passwords locking a victim's phone.
    const sent = stack.sms.sent.length;
    const sms = await client.call("POST", "/v1/sms/codes", {
      raw: "areaCode=86&phone=13977770001&purpose=register",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: "https://evil.example" },
    });
    assert.equal(sms.status, 415, JSON.stringify(sms.body));
    assert.equal(errorOf(sms).key, "UNSUPPORTED_MEDIA_TYPE");
    const login = await client.call("POST", "/v1/auth/login", {
      raw: `areaCode=${user.areaCode}&phone=${user.phone}&password=wrong`,
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    assert.equal(login.status, 415);
    assert.equal(stack.sms.sent.length, sent, "no SMS was sent");
    for (const type of ["text/plain", "multipart/form-data; boundary=x", "application/xml"]) {
      const reply = await client.call("POST", "/v1/auth/login", { raw: "{}", headers: { "content-type": type } });
      assert.equal(reply.status, 415, type);
    }
    // The seed's authenticated form calls still work (access_token as a field).
    const form = await client.call<{ nickname: string }>("PATCH", "/v1/users/me", {
      raw: `access_token=${encodeURIComponent(user.token)}&nickname=Formed`,
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    assert.equal(form.status, 200, JSON.stringify(form.body));
  });

  it("refuses malformed JSON with 400 MALFORMED_JSON", async () => {
    for (const raw of ["{", '{"areaCode": "86",}', "nul", "{'a':1}"]) {
      const reply = await client.call("POST", "/v1/auth/login", { raw });
      assert.equal(reply.status, 400, raw);
      assert.equal(errorOf(reply).key, "MALFORMED_JSON", raw);
    }
  });

  it("refuses a body over API_BODY_LIMIT_KB with 413 PAYLOAD_TOO_LARGE", async () => {
    const big = JSON.stringify({ areaCode: "86", phone: "13800000000", password: "x".repeat(BODY_LIMIT_KB * 1024 + 10) });
    const reply = await client.call("POST", "/v1/auth/login", { raw: big });
    assert.equal(reply.status, 413);
    assert.equal(errorOf(reply).key, "PAYLOAD_TOO_LARGE");
    const form = await client.call("POST", "/v1/auth/login", {
      raw: `password=${"y".repeat(BODY_LIMIT_KB * 1024 + 10)}`,
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    assert.equal(form.status, 413, "form bodies have the same limit");
    // Just under the limit is parsed (and then validated).
    const small = JSON.stringify({ areaCode: "86", phone: "13800000000", password: "x".repeat(BODY_LIMIT_KB * 1024 - 200) });
    const fits = await client.call("POST", "/v1/auth/login", { raw: small });
    assert.equal(fits.status, 400);
    assert.equal(errorOf(fits).key, "VALIDATION_FAILED");
  });

  it("echoes a sane x-request-id and generates one otherwise", async () => {
    const echoed = await client.call("GET", "/nope", { headers: { "x-request-id": "abc-123.XYZ_9" } });
    assert.equal(echoed.headers.get("x-request-id"), "abc-123.XYZ_9");
    assert.equal(errorOf(echoed).requestId, "abc-123.XYZ_9", "the error body names the request");

    const generated = await client.get("/healthz");
    const id = generated.headers.get("x-request-id") ?? "";
    assert.match(id, /^[0-9a-f-]{36}$/);
    const again = await client.get("/healthz");
    assert.notEqual(again.headers.get("x-request-id"), id, "a fresh id per request");

    for (const bad of ["has space", "x".repeat(65), "<script>", "a/b"]) {
      const reply = await client.call("GET", "/healthz", { headers: { "x-request-id": bad } });
      const replaced = reply.headers.get("x-request-id") ?? "";
      assert.notEqual(replaced, bad);
      assert.match(replaced, /^[0-9a-f-]{36}$/, `replaced ${JSON.stringify(bad)}`);
    }
  });

  it("localizes error messages from Accept-Language", async () => {
    const messageFor = async (language: string | undefined) => {
      const reply = await client.call("GET", "/nope", language === undefined ? {} : { headers: { "accept-language": language } });
      assert.equal(errorOf(reply).key, "ROUTE_NOT_FOUND");
      return errorOf(reply).message;
    };
    assert.equal(await messageFor("zh"), "接口不存在");
    assert.equal(await messageFor("zh-CN,zh;q=0.9"), "接口不存在");
    assert.equal(await messageFor("en"), "No such endpoint");
    assert.equal(await messageFor("en-US"), "No such endpoint");
    assert.equal(await messageFor("zh-TW"), "介面不存在");
    assert.equal(await messageFor("zh-HK"), "介面不存在");
    assert.equal(await messageFor("zh-Hant-TW"), "介面不存在");
    assert.equal(await messageFor(undefined), "No such endpoint");
    assert.equal(await messageFor("fr-FR"), "No such endpoint");
    assert.equal(await messageFor("fr, zh;q=0.5"), "接口不存在");
    assert.equal(await messageFor("en;q=0.2, zh-TW;q=0.8"), "介面不存在");

    // Validation errors, auth errors and JSON errors are localized too.
    const invalid = await client.call("POST", "/v1/auth/login", { body: {}, headers: { "accept-language": "zh" } });
    assert.equal(errorOf(invalid).message, "请求参数不正确");
    const unauth = await client.call("GET", "/v1/users/me", { headers: { "accept-language": "zh-TW" } });
    assert.equal(errorOf(unauth).key, "TOKEN_MISSING");
    assert.equal(errorOf(unauth).message, "缺少存取權杖");
    const malformed = await client.call("POST", "/v1/auth/login", { raw: "{", headers: { "accept-language": "zh" } });
    assert.equal(errorOf(malformed).message, "请求体不是有效的 JSON");
  });

  it("never answers 500 on odd but well-formed requests", async () => {
    const odd: { method: string; path: string; raw?: string; headers?: Record<string, string> }[] = [
      { method: "POST", path: "/v1/auth/login", raw: "[]" },
      { method: "POST", path: "/v1/auth/login", raw: '"text"' },
      { method: "POST", path: "/v1/auth/login", raw: "", headers: { "content-type": "application/json" } },
      { method: "POST", path: "/v1/auth/login", raw: "areaCode=86&phone=1", headers: { "content-type": "text/plain" } },
      { method: "POST", path: "/v1/auth/login", raw: "{}", headers: { "content-type": "application/json; charset=latin-9" } },
      { method: "GET", path: "/v1/users/search?nickname=a&nickname=b" },
      { method: "GET", path: "/v1/users/%E0%A4%A" },
    ];
    for (const request of odd) {
      const reply = await client.call(request.method, request.path, {
        token: user.token,
        ...(request.raw !== undefined ? { raw: request.raw } : {}),
        ...(request.headers ? { headers: request.headers } : {}),
      });
      assert.ok(reply.status >= 400 && reply.status < 500, `${request.method} ${request.path} ${request.raw ?? ""}: ${reply.status}`);
      assert.equal(typeof errorOf(reply).key, "string");
    }
    const badEscape = await client.get("/v1/users/%E0%A4%A", user.token);
    assert.equal(badEscape.status, 400);
    assert.equal(errorOf(badEscape).key, "VALIDATION_FAILED");
  });
});
