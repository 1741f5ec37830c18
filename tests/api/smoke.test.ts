import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ApiClient } from "../support/client.js";
import { startStack, type TestStack } from "../support/stack.js";
import { registerUser } from "../support/users.js";

describe("smoke", () => {
  let stack: TestStack;
  let client: ApiClient;
  before(async () => {
    stack = await startStack();
    client = new ApiClient(stack.api.url);
  });
  after(() => stack.stop());

  it("registers, reads itself, logs out", async () => {
    const user = await registerUser(stack, client);
    const me = await client.get<{ userId: number }>("/v1/users/me", user.token);
    assert.equal(me.status, 200, JSON.stringify(me.body));
    assert.equal(me.body.userId, user.userId);
    assert.equal((await client.post("/v1/auth/logout", undefined, user.token)).status, 204);
    assert.equal((await client.get("/v1/users/me", user.token)).status, 401);
    assert.equal((await client.get("/readyz")).status, 200);
    assert.equal((await client.get("/v1/config")).status, 200);
  });
});
