// Issue 10, item 1j: ids are plain decimal integers in range, on every route (path, query, body); the
// routes are walked from the served OpenAPI document, not listed by hand.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ApiClient, errorOf } from "../support/client.js";
import { startStack, type TestStack } from "../support/stack.js";
import { registerUser, type TestUser } from "../support/users.js";

interface JsonSchema {
  type?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
}
interface Parameter {
  name: string;
  in: "path" | "query";
  schema: JsonSchema;
}
interface Operation {
  parameters: Parameter[];
  requestBody?: { content: { "application/json": { schema: JsonSchema } } };
}
type Document = { paths: Record<string, Record<string, Operation>> };

/** A path or query parameter the document declares an integer: the server must read it strictly. */
const isInteger = (parameter: Parameter) => parameter.schema.type === "integer";

/** Text that must never be read as a number. */
const BAD_TEXT = ["1e3", "0x10", " 12", "12.0", "+5", "-1", "9007199254740993", "", "012", "1_000", "12abc"];
/** JSON values (as raw JSON text) that must never be taken as a user id. */
const BAD_JSON = ['"12"', '"1e3"', "1.5", "0", "-1", "9007199254740993", "1e10", "null", "true"];

/** A valid value for a path parameter that is not under test. */
function sample(parameter: Parameter, userId: number): string {
  if (isInteger(parameter)) return String(userId);
  const byName: Record<string, string> = {
    roomId: "0123456789abcdef0123456789abcdef",
    groupId: "0123456789abcdef01234567",
    conversationId: `s_${userId}_${userId + 1}`,
    sessionId: "00000000-0000-4000-8000-000000000000",
  };
  const value = byName[parameter.name];
  if (value === undefined) throw new Error(`no sample for path parameter ${parameter.name}: add one`);
  return value;
}

describe("strict numeric ids on every route", () => {
  let stack: TestStack;
  let client: ApiClient;
  let user: TestUser;
  let doc: Document;
  before(async () => {
    stack = await startStack();
    client = new ApiClient(stack.api.url);
    user = await registerUser(stack, client);
    doc = (await client.get<Document>("/openapi.json")).body;
  });
  after(() => stack.stop());

  it("documents every numeric path and query parameter as an integer with its range", () => {
    let count = 0;
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        for (const parameter of operation.parameters) {
          const numeric =
            /id$|Id$|page|Seq$|limit/i.test(parameter.name) &&
            !/roomId|groupId|conversationId|sessionId|shareId|uploadId|deviceId/.test(parameter.name);
          if (!numeric) continue;
          count++;
          const where = `${method} ${path} ${parameter.in} ${parameter.name}`;
          assert.ok(isInteger(parameter), where);
          assert.equal(typeof parameter.schema.minimum, "number", where);
          assert.equal(typeof parameter.schema.maximum, "number", where);
        }
      }
    }
    assert.ok(count >= 20, `found ${count} numeric parameters`);
  });

  it("answers 400 VALIDATION_FAILED naming the parameter for every loose number in a path or query", async () => {
    let probes = 0;
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const numeric = operation.parameters.filter(isInteger);
        for (const target of numeric) {
          for (const bad of BAD_TEXT) {
            let url = path;
            for (const p of operation.parameters.filter((p) => p.in === "path")) {
              const value = p === target ? bad : sample(p, user.userId + 1);
              url = url.replace(`{${p.name}}`, encodeURIComponent(value));
            }
            if (target.in === "query") url += `?${target.name}=${encodeURIComponent(bad)}`;
            if (target.in === "path" && bad === "") continue; // an empty segment is another path (404/405), never an id
            const body = operation.requestBody ? {} : undefined;
            const reply = await client.call(method.toUpperCase(), url, { token: user.token, ...(body ? { body } : {}) });
            const where = `${method.toUpperCase()} ${url} (${target.in} ${target.name}=${JSON.stringify(bad)})`;
            assert.equal(reply.status, 400, `${where}: ${JSON.stringify(reply.body)}`);
            assert.equal(errorOf(reply).key, "VALIDATION_FAILED", where);
            const fields = (errorOf(reply).issues ?? []).map((issue) => issue.field);
            assert.ok(fields.includes(`${target.in === "path" ? "params" : "query"}.${target.name}`), `${where}: ${fields.join(", ")}`);
            probes++;
          }
        }
      }
    }
    assert.ok(probes > 200, `${probes} probes`);
  });

  it("refuses every non-integer or out-of-range user id in a JSON body, naming it", async () => {
    let probes = 0;
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const properties = operation.requestBody?.content["application/json"].schema.properties ?? {};
        for (const [name, schema] of Object.entries(properties)) {
          const idList = schema.type === "array" && schema.items?.type === "integer" && schema.items.maximum === 2_147_483_647;
          if (!idList) continue;
          let url = path;
          for (const p of operation.parameters.filter((p) => p.in === "path")) url = url.replace(`{${p.name}}`, sample(p, user.userId + 1));
          for (const bad of BAD_JSON) {
            const reply = await client.call(method.toUpperCase(), url, { token: user.token, raw: `{"${name}": [${bad}]}` });
            const where = `${method.toUpperCase()} ${url} body.${name}=[${bad}]`;
            assert.equal(reply.status, 400, `${where}: ${JSON.stringify(reply.body)}`);
            assert.equal(errorOf(reply).key, "VALIDATION_FAILED", where);
            const fields = (errorOf(reply).issues ?? []).map((issue) => issue.field);
            assert.ok(
              fields.some((field) => field.startsWith(`body.${name}`)),
              `${where}: ${fields.join(", ")}`,
            );
            probes++;
          }
        }
      }
    }
    assert.ok(probes >= 3 * BAD_JSON.length, `${probes} probes`);
  });

  it("reads /v1/friends/1e3 as 400, not as user 1000", async () => {
    const reply = await client.post(`/v1/friends/1e3`, {}, user.token);
    assert.equal(reply.status, 400);
    assert.deepEqual(
      errorOf(reply).issues?.map((issue) => issue.field),
      ["params.userId"],
    );
  });
});
