import assert from "node:assert/strict";
import { request } from "node:http";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { ApiClient } from "../support/client.js";
import { startStack, type TestStack } from "../support/stack.js";
import { registerUser, type TestUser } from "../support/users.js";

// Issue 10 item h, for the API: on shutdown it stops accepting, lets the requests it is serving finish
// (their writes need MongoDB and Redis), and only then closes the stores.
describe("graceful API shutdown", () => {
  let stack: TestStack;
  let user: TestUser;
  before(async () => {
    stack = await startStack({ API_SMS_REQUIRED: "false" });
    user = await registerUser(stack, new ApiClient(stack.api.url));
  });
  after(() => stack.stop());

  it("answers a request that arrived before close() and refuses new connections", async () => {
    const body = JSON.stringify({ areaCode: user.areaCode, phone: user.phone, password: user.password });
    const { port } = stack.api;
    // A login whose body is still arriving when the shutdown starts: it is in flight.
    let answer!: (reply: { status: number; body: string } | { error: string }) => void;
    const replied = new Promise<{ status: number; body: string } | { error: string }>((resolve) => {
      answer = resolve;
    });
    const req = request(
      {
        host: "127.0.0.1",
        port,
        method: "POST",
        path: "/v1/auth/login",
        agent: false,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
      },
      (res) => {
        let text = "";
        res.on("data", (chunk) => {
          text += chunk;
        });
        res.on("end", () => answer({ status: res.statusCode ?? 0, body: text }));
        res.on("error", (error) => answer({ error: error.message }));
      },
    );
    req.on("error", (error) => answer({ error: error.message }));
    req.write(body.slice(0, 10));
    await sleep(200);

    const closing = stack.api.close();
    await sleep(100);
    const late = await fetch(`${stack.api.url}/healthz`).then(
      (res) => `status ${res.status}`,
      () => "refused",
    );
    assert.equal(late, "refused", "no new connection is accepted once shutdown started");
    req.end(body.slice(10));
    const reply = await replied;
    assert.ok("status" in reply, `the in-flight request was cut: ${JSON.stringify(reply)}`);
    assert.equal(reply.status, 200, reply.body);
    assert.ok(JSON.parse(reply.body).accessToken, "the login completed: its session was stored before the stores closed");
    await closing;
  });
});
