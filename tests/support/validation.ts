import assert from "node:assert/strict";
import { errorOf, type Reply } from "./client.js";

/** Asserts a 400 VALIDATION_FAILED whose issues name `field` (e.g. "body.phone"). */
export function assertInvalid(reply: Reply<unknown>, field: string, context = ""): void {
  assert.equal(reply.status, 400, `${context} ${JSON.stringify(reply.body)}`);
  const error = errorOf(reply);
  assert.equal(error.key, "VALIDATION_FAILED", context);
  const fields = (error.issues ?? []).map((issue) => issue.field);
  assert.ok(fields.includes(field), `${context}: expected an issue on ${field}, got ${JSON.stringify(error.issues)}`);
}
