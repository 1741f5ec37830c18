import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { ApiClient, errorOf, type Reply } from "../support/client.js";
import { Rooms } from "../support/rooms.js";
import { startStack, type TestStack } from "../support/stack.js";

/**
 * The breaker "client" (issue 12), hostile registrations and settings from docs/openapi.json alone: header and
 * topic injection through appId, look-alike and invisible characters in tokens, locales and environments that
 * are not documented, other users' rooms and devices. Every refusal leaves nothing stored.
 */
describe("push API, a hostile client", () => {
  let stack: TestStack;
  let client: ApiClient;
  let rooms: Rooms;
  before(async () => {
    stack = await startStack({ API_SMS_REQUIRED: "false" });
    client = new ApiClient(stack.api.url);
    rooms = new Rooms(stack, client);
  });
  after(() => stack.stop());

  const status = (reply: Reply<unknown>, expected: number) => assert.equal(reply.status, expected, JSON.stringify(reply.body));
  const fcm = () => `f${randomBytes(40).toString("base64url")}`;
  const apns = () => randomBytes(32).toString("hex");

  it("refuses appId, token, locale and environment injections; lists no token", async () => {
    const user = await rooms.user();
    const bad: Array<Record<string, unknown>> = [
      { provider: "apns", token: apns(), appId: "com.example.im\r\napns-priority: 10" },
      { provider: "apns", token: apns(), appId: "com.example.im/../3/device" },
      { provider: "apns", token: apns(), appId: "com.example.im\n" },
      { provider: "apns", token: apns(), appId: "сom.example.im" }, // Cyrillic с
      { provider: "apns", token: apns(), appId: `com.${"x".repeat(200)}` },
      { provider: "fcm", token: `${fcm()}\u200b`, appId: "com.example.im" },
      { provider: "fcm", token: `${fcm()}\uff21`, appId: "com.example.im" }, // fullwidth A
      { provider: "fcm", token: `${fcm()}\r\nx`, appId: "com.example.im" },
      // MiPush takes registration_id as a comma-separated list: one record would push to many phones.
      { provider: "xiaomi", token: `${fcm()},${fcm()}`, appId: "com.example.im" },
      { provider: "huawei", token: `${fcm()},${fcm()}`, appId: "com.example.im" },
      { provider: "apns", token: `${apns()}\u0000`, appId: "com.example.im" },
      { provider: "fcm", token: fcm(), appId: "com.example.im", locale: "en\r\nX-Evil: 1" },
      { provider: "fcm", token: fcm(), appId: "com.example.im", locale: "x".repeat(64) },
      { provider: "apns", token: apns(), appId: "com.example.im", environment: "Production" },
      { provider: "APNS", token: apns(), appId: "com.example.im" },
      { provider: "fcm", token: 12345678, appId: "com.example.im" },
      { provider: "fcm", token: fcm(), appId: ["com.example.im"] },
    ];
    for (const body of bad) {
      const reply = await client.post("/v1/push/devices", body, user.token);
      if (reply.status === 200) assert.fail(`accepted ${JSON.stringify(body)}`);
      status(reply, 400);
      assert.equal(errorOf(reply).key, "VALIDATION_FAILED");
    }
    const huge = await client.post("/v1/push/devices", { provider: "fcm", token: "x".repeat(2_000_000), appId: "a" }, user.token);
    assert.ok(huge.status === 413 || huge.status === 400, `a 2 MB body: ${huge.status}`);
    const listed = await client.get<{ items: unknown[] }>("/v1/push/devices", user.token);
    status(listed, 200);
    assert.deepEqual(listed.body.items, [], "nothing refused was stored");

    const token = fcm();
    status(
      await client.post("/v1/push/devices", { provider: "fcm", token, appId: "com.example.im", locale: "zh-Hant-HK" }, user.token),
      200,
    );
    const after = await client.get<{ items: Array<Record<string, unknown>> }>("/v1/push/devices", user.token);
    assert.equal(after.body.items.length, 1);
    assert.equal(after.body.items[0]?.locale, "zh-Hant-HK");
    assert.ok(!JSON.stringify(after.body).includes(token), "the token is never listed");
  });

  it("never mutes, silences or removes what is not mine", async () => {
    const [owner, member, outsider] = await rooms.users(3);
    const roomId = await rooms.room(owner, [member]);
    const mute = await client.call("PUT", `/v1/push/mutes/g_${roomId}`, { token: outsider.token });
    status(mute, 404);
    assert.equal(errorOf(mute).key, "CONVERSATION_NOT_FOUND");
    const [low, high] = [owner.userId, member.userId].sort((a, b) => a - b);
    status(await client.call("PUT", `/v1/push/mutes/s_${low}_${high}`, { token: outsider.token }), 404);
    status(await client.call("PUT", `/v1/push/mutes/s_${high}_${low}`, { token: owner.token }), 404);
    const dndOther = await rooms.putMember(outsider, roomId, member.userId, { offlineNoPushMsg: 1 });
    assert.ok(dndOther.status === 403 || dndOther.status === 404, JSON.stringify(dndOther.body));
    const dndSelf = await rooms.putMember(outsider, roomId, outsider.userId, { offlineNoPushMsg: 1 });
    assert.ok(dndSelf.status === 403 || dndSelf.status === 404, JSON.stringify(dndSelf.body));
    const byOwner = await rooms.putMember(owner, roomId, member.userId, { offlineNoPushMsg: 1 });
    assert.equal(byOwner.status, 403, "not even the owner sets a member's do-not-disturb");

    const token = fcm();
    const mine = await client.post<{ id: string }>("/v1/push/devices", { provider: "fcm", token, appId: "com.example.im" }, member.token);
    status(mine, 200);
    const gone = await client.delete(`/v1/push/devices/${mine.body.id}`, outsider.token);
    status(gone, 404);
    assert.equal(errorOf(gone).key, "PUSH_DEVICE_NOT_FOUND");
    const still = await client.get<{ items: Array<{ id: string }> }>("/v1/push/devices", member.token);
    assert.deepEqual(
      still.body.items.map((item) => item.id),
      [mine.body.id],
    );
  });
});
