import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ImClient } from "@im/client";
import { loadGatewayConfig, startGateway } from "@im/gateway";
import { createLogger } from "@im/telemetry";
import { ApiClient } from "../support/client.js";
import { startGatewayProcess } from "../support/realtime.js";
import { startStack, type TestStack } from "../support/stack.js";
import { registerUser, type TestUser } from "../support/users.js";

// Issue 10 item h: a gateway that stops gracefully writes every "went offline" before it closes Redis and
// MongoDB, so its users are offline the moment it is gone (not a presence TTL later).
describe("graceful gateway shutdown", () => {
  let stack: TestStack;
  let api: ApiClient;
  const clients: ImClient[] = [];
  before(async () => {
    stack = await startStack({ API_SMS_REQUIRED: "false", MESSAGE_SHARDS: "4" });
    api = new ApiClient(stack.api.url);
  });
  after(async () => {
    for (const client of clients) client.close();
    await stack.stop();
  });

  const presenceOf = (userId: number) => stack.api.deps.redis.zrange(`im:presence:${userId}`, 0, -1);
  const onlineState = async (userId: number) => (await stack.api.deps.models.users.findOne({ userId }).lean())?.onlinestate;
  const connect = async (user: TestUser, url: string, resource: "android" | "pc" = "android") => {
    const client = new ImClient({ url, token: user.token, resource });
    clients.push(client);
    await client.connect();
    return client;
  };

  /** Users with one device each on the gateway at `url`, and one user also on `otherUrl`; all shown online. */
  async function usersOn(url: string, otherUrl: string) {
    const only = await Promise.all(Array.from({ length: 8 }, () => registerUser(stack, api)));
    const both = await registerUser(stack, api);
    for (const user of only) await connect(user, url);
    await connect(both, url, "android");
    await connect(both, otherUrl, "pc");
    for (const user of only) {
      assert.equal((await presenceOf(user.userId)).length, 1);
      assert.equal(await onlineState(user.userId), 1);
    }
    assert.equal((await presenceOf(both.userId)).length, 2);
    return { only, both };
  }

  async function assertGone(only: TestUser[], both: TestUser, stoppedId: string) {
    for (const user of only) {
      assert.deepEqual(await presenceOf(user.userId), [], `user ${user.userId} has no presence entry left`);
      assert.equal(await onlineState(user.userId), 0, `user ${user.userId} is offline in the user document`);
    }
    const left = await presenceOf(both.userId);
    assert.equal(left.length, 1, "the device on the other gateway stays");
    assert.ok(!left[0]?.startsWith(`${stoppedId}|`));
    assert.equal(await onlineState(both.userId), 1, "a user still connected elsewhere stays online");
  }

  it("has written every presence change when close() resolves", async () => {
    const gatewayConfig = (id: string) =>
      loadGatewayConfig({
        GATEWAY_HOST: "127.0.0.1",
        GATEWAY_PORT: "0",
        GATEWAY_ID: id,
        MONGO_URL: stack.config.MONGO_URL,
        REDIS_URL: stack.config.REDIS_URL,
        MESSAGE_SHARDS: "4",
      });
    const logger = createLogger({ name: "gateway-test", level: process.env.TEST_LOG_LEVEL ?? "silent" });
    const stopping = await startGateway(gatewayConfig("gw-stop"), { logger });
    const staying = await startGateway(gatewayConfig("gw-stay"), { logger });
    try {
      const { only, both } = await usersOn(stopping.url, staying.url);
      await stopping.close();
      await assertGone(only, both, "gw-stop");
    } finally {
      await stopping.close();
      await staying.close();
    }
  });

  it("has written every presence change when the process exits on SIGTERM", async () => {
    const stopping = await startGatewayProcess(stack, "gwp-stop");
    const staying = await startGatewayProcess(stack, "gwp-stay");
    try {
      const { only, both } = await usersOn(stopping.url, staying.url);
      const started = Date.now();
      await stopping.process.stop();
      // ManagedProcess.stop() sends SIGKILL after 5 s: the gateway must have exited on its own before.
      assert.ok(Date.now() - started < 4_000, `exited ${Date.now() - started} ms after SIGTERM`);
      await assertGone(only, both, "gwp-stop");
    } finally {
      await stopping.process.stop();
      await staying.process.stop();
    }
  });
});
