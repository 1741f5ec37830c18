import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Redis } from "@im/infra";
import { ApiClient, errorOf } from "../support/client.js";
import { startStack, type TestStack } from "../support/stack.js";
import { uniquePhone } from "../support/users.js";

interface Registered {
  accessToken: string;
  user: { userId: number };
}

describe("register without SMS: concurrency and userIds", () => {
  let stack: TestStack;
  let client: ApiClient;
  let redis: Redis;
  before(async () => {
    stack = await startStack({ API_SMS_REQUIRED: "false" });
    client = new ApiClient(stack.api.url);
    redis = new Redis(stack.redis.url, { maxRetriesPerRequest: 2 });
  });
  after(async () => {
    redis.disconnect();
    await stack.stop();
  });

  const register = (phone: string, nickname = `n${phone}`) =>
    client.post<Registered>("/v1/auth/register", { areaCode: "86", phone, password: "password-123", nickname });
  const highestUserId = async () => {
    const top = await stack.api.deps.models.users.findOne({}, { userId: 1 }).sort({ userId: -1 }).lean();
    return top?.userId ?? 0;
  };

  it("gives 50 parallel registrations 50 distinct userIds above 100000", async () => {
    const phones = Array.from({ length: 50 }, () => uniquePhone());
    const replies = await Promise.all(phones.map((phone) => register(phone)));
    for (const reply of replies) assert.equal(reply.status, 201, JSON.stringify(reply.body));
    const ids = replies.map((reply) => reply.body.user.userId);
    assert.equal(new Set(ids).size, 50, "distinct ids");
    for (const id of ids) assert.ok(Number.isInteger(id) && id > 100_000, `id ${id}`);
    const tokens = new Set(replies.map((reply) => reply.body.accessToken));
    assert.equal(tokens.size, 50, "distinct tokens");
    assert.equal(await stack.api.deps.models.users.countDocuments({ telephone: { $in: phones.map((p) => `86${p}`) } }), 50);
    // Each token belongs to its own account.
    const me = await client.get<{ userId: number }>("/v1/users/me", replies[17]?.body.accessToken);
    assert.equal(me.body.userId, ids[17]);
  });

  it("lets exactly one of 20 parallel registrations of one phone win", async () => {
    const phone = uniquePhone();
    const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => register(phone, `racer${i}`)));
    const created = replies.filter((reply) => reply.status === 201);
    assert.equal(created.length, 1, JSON.stringify(replies.map((reply) => reply.status)));
    for (const reply of replies.filter((r) => r.status !== 201)) {
      assert.equal(reply.status, 409, JSON.stringify(reply.body));
      assert.equal(errorOf(reply).key, "PHONE_ALREADY_REGISTERED");
    }
    const docs = await stack.api.deps.models.users.find({ telephone: `86${phone}` }).lean();
    assert.equal(docs.length, 1, "exactly one account");
    assert.equal(docs[0]?.userId, created[0]?.body.user.userId);
    const login = await client.post<Registered>("/v1/auth/login", { areaCode: "86", phone, password: "password-123" });
    assert.equal(login.status, 200);
    assert.equal(login.body.user.userId, created[0]?.body.user.userId);
  });

  it("keeps userIds unique and above 100000 after Redis lost its data", async () => {
    const first = await register(uniquePhone());
    assert.equal(first.status, 201);
    const highest = await highestUserId();

    assert.equal(await redis.flushall(), "OK");
    const after = await register(uniquePhone());
    assert.equal(after.status, 201, JSON.stringify(after.body));
    assert.ok(after.body.user.userId > highest, `fresh id ${after.body.user.userId} above the stored ${highest}`);
    assert.ok(after.body.user.userId > 100_000);

    const more = await Promise.all(Array.from({ length: 10 }, () => register(uniquePhone())));
    for (const reply of more) assert.equal(reply.status, 201, JSON.stringify(reply.body));
    const ids = [after.body.user.userId, ...more.map((reply) => reply.body.user.userId)];
    assert.equal(new Set(ids).size, ids.length);
    for (const id of ids) assert.ok(id > highest, `${id} > ${highest}`);
    // The old token died with Redis, the new one works.
    assert.equal((await client.get("/v1/users/me", first.body.accessToken)).status, 401);
    assert.equal((await client.get("/v1/users/me", after.body.accessToken)).status, 200);
  });

  it("resyncs when the counter hands out an id that is already taken", async () => {
    const highest = await highestUserId();
    // The counter fell behind (e.g. restored from an old snapshot): its next id is already stored.
    await redis.set("idx:user", String(highest - 1));
    const reply = await register(uniquePhone());
    assert.equal(reply.status, 201, JSON.stringify(reply.body));
    assert.ok(reply.body.user.userId > highest, `${reply.body.user.userId} > ${highest}`);
    assert.equal(await stack.api.deps.models.users.countDocuments({ userId: reply.body.user.userId }), 1);

    // Several registrations racing through the same stale counter all succeed with distinct ids.
    const top = await highestUserId();
    await redis.set("idx:user", String(top - 1));
    const racing = await Promise.all(Array.from({ length: 5 }, () => register(uniquePhone())));
    for (const r of racing) assert.equal(r.status, 201, JSON.stringify(r.body));
    const ids = racing.map((r) => r.body.user.userId);
    assert.equal(new Set(ids).size, 5);
    for (const id of ids) assert.ok(id > top, `${id} > ${top}`);
  });
});
