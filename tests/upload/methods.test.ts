// A literal path beside a parameter path (/v1/uploads/multipart beside /v1/uploads/:uploadId, /v1/avatars/users/me
// beside /v1/avatars/users/:userId): a method only the parameter path has answers 405 with Allow on the literal
// path, instead of reading "multipart" or "me" as an id (found by schemathesis, ST204).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { errorOf } from "../support/client.js";
import { startUploadStack, type UploadStack } from "../support/upload.js";
import { registerUser, type TestUser } from "../support/users.js";

describe("upload app: undeclared methods on literal paths", () => {
  let media: UploadStack;
  let user: TestUser;
  before(async () => {
    media = await startUploadStack();
    user = await registerUser(media.stack, media.api);
  });
  after(() => media.stop());

  it("answers 405 with Allow, not a validation error of the parameter path", async () => {
    for (const [method, path, allow] of [
      ["GET", "/v1/uploads/multipart", "POST"],
      ["DELETE", "/v1/uploads/multipart", "POST"],
      ["GET", "/v1/avatars/users/me", "POST"],
    ] as const) {
      const reply = await media.files.call(method, path, { token: user.token });
      assert.equal(reply.status, 405, `${method} ${path}: ${JSON.stringify(reply.body)}`);
      assert.equal(errorOf(reply).key, "METHOD_NOT_ALLOWED");
      assert.match(reply.headers.get("allow") ?? "", new RegExp(allow));
    }
    // The parameter paths still serve their own ids.
    const unknown = await media.files.get(`/v1/uploads/${"0".repeat(32)}`, user.token);
    assert.equal(unknown.status, 404);
    const avatar = await media.files.call("GET", `/v1/avatars/users/${user.userId}`, {});
    assert.equal(avatar.status, 404);
  });
});
