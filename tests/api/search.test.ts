import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { ApiClient, errorOf } from "../support/client.js";
import { startStack, type TestStack } from "../support/stack.js";
import { registerUser, type TestUser } from "../support/users.js";
import { assertInvalid } from "../support/validation.js";

interface Page {
  items: (Record<string, unknown> & { userId: number; nickname: string })[];
  page: number;
  pageSize: number;
  hasMore: boolean;
}

/** A short tag no other nickname contains, so each test sees only its own users. */
const newTag = () => `t${randomBytes(4).toString("hex")}`;

describe("user search", () => {
  let stack: TestStack;
  let client: ApiClient;
  let me: TestUser;
  before(async () => {
    stack = await startStack();
    client = new ApiClient(stack.api.url);
    me = await registerUser(stack, client, { nickname: "searcher" });
  });
  after(() => stack.stop());

  const search = (query: Record<string, string | number>, token = me.token) => {
    const qs = new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)])).toString();
    return client.get<Page>(`/v1/users/search?${qs}`, token);
  };
  const byNickname = async (nickname: string, extra: Record<string, number> = {}) => {
    const reply = await search({ nickname, ...extra });
    assert.equal(reply.status, 200, `${nickname}: ${JSON.stringify(reply.body)}`);
    return reply.body;
  };

  it("finds users by a case-insensitive part of the nickname, showing only public fields", async () => {
    const tag = newTag();
    const a = await registerUser(stack, client, { nickname: `Zebra ${tag.toUpperCase()} one` });
    const b = await registerUser(stack, client, { nickname: `the zebra-${tag} two` });
    await registerUser(stack, client, { nickname: `Lion ${tag}` });
    const found = await byNickname(`ZEBRA ${tag}`);
    assert.deepEqual(
      found.items.map((u) => u.userId),
      [a.userId],
    );
    const both = await byNickname(`${tag.toUpperCase()}`);
    assert.equal(both.items.length, 3);
    const zebras = await byNickname(`zebra`);
    const ids = zebras.items.map((u) => u.userId);
    assert.ok(ids.includes(a.userId) && ids.includes(b.userId));
    assert.deepEqual(
      ids,
      [...ids].sort((x, y) => x - y),
      "ordered by userId",
    );
    for (const item of found.items) {
      for (const field of ["phone", "telephone", "areaCode", "settings", "passwordHash", "birthday", "loc"]) {
        assert.ok(!(field in item), `no ${field}`);
      }
    }
    assert.equal(found.page, 0);
    assert.equal(found.pageSize, 20);
    assert.equal(found.hasMore, false);
  });

  it("treats regex metacharacters literally", async () => {
    const tag = newTag();
    const dotted = await registerUser(stack, client, { nickname: `${tag}a.b` });
    await registerUser(stack, client, { nickname: `${tag}axb` });
    const starred = await registerUser(stack, client, { nickname: `${tag}.*c` });
    const exact = await byNickname(`${tag}a.b`);
    assert.deepEqual(
      exact.items.map((u) => u.userId),
      [dotted.userId],
      "the dot matches only a dot",
    );
    const dotStar = await byNickname(".*");
    assert.ok(dotStar.items.length >= 1);
    assert.ok(
      dotStar.items.every((u) => u.nickname.includes(".*")),
      `".*" matched: ${dotStar.items.map((u) => u.nickname).join(", ")}`,
    );
    assert.ok(dotStar.items.some((u) => u.userId === starred.userId));
    for (const meta of ["(", "[", ")", "\\", "$", "^", "+", "?", "{1}", "|", "a{99999}", "(?i)", "\\d+"]) {
      const reply = await search({ nickname: meta });
      assert.equal(reply.status, 200, `${meta}: ${JSON.stringify(reply.body)}`);
      for (const item of reply.body.items)
        assert.ok(item.nickname.toLowerCase().includes(meta.toLowerCase()), `${meta} ~ ${item.nickname}`);
    }
  });

  it("pages with hasMore", async () => {
    const tag = newTag();
    const users: TestUser[] = [];
    for (let i = 0; i < 5; i++) users.push(await registerUser(stack, client, { nickname: `page ${tag} ${i}` }));
    const seen: number[] = [];
    const expectMore = [true, true, false];
    for (let page = 0; page < 3; page++) {
      const body = await byNickname(tag, { page, pageSize: 2 });
      assert.equal(body.page, page);
      assert.equal(body.pageSize, 2);
      assert.equal(body.hasMore, expectMore[page], `page ${page}`);
      assert.equal(body.items.length, page < 2 ? 2 : 1);
      seen.push(...body.items.map((u) => u.userId));
    }
    assert.deepEqual(
      seen,
      users.map((u) => u.userId),
      "every user once, in id order",
    );
    const beyond = await byNickname(tag, { page: 3, pageSize: 2 });
    assert.deepEqual(beyond.items, []);
    assert.equal(beyond.hasMore, false);
    const exact = await byNickname(tag, { pageSize: 5 });
    assert.equal(exact.items.length, 5);
    assert.equal(exact.hasMore, false, "no further page when the page is exactly full");
  });

  it("hides disabled users and system accounts", async () => {
    const tag = newTag();
    const disabled = await registerUser(stack, client, { nickname: `gone ${tag}` });
    const visible = await registerUser(stack, client, { nickname: `here ${tag}` });
    await stack.api.deps.models.users.updateOne({ userId: disabled.userId }, { $set: { status: -1 } });
    const found = await byNickname(tag);
    assert.deepEqual(
      found.items.map((u) => u.userId),
      [visible.userId],
    );
    const system = await byNickname("系统通知");
    assert.ok(!system.items.some((u) => u.userId === 10005));
    const service = await byNickname("客服");
    assert.ok(!service.items.some((u) => u.userId === 10000));
  });

  it("finds a user by exact phone number with its area code", async () => {
    const target = await registerUser(stack, client, { nickname: "by phone" });
    const missingArea = await search({ phone: target.phone });
    assertInvalid(missingArea, "query.areaCode");
    const found = await search({ areaCode: "86", phone: target.phone });
    assert.equal(found.status, 200, JSON.stringify(found.body));
    assert.deepEqual(
      found.body.items.map((u) => u.userId),
      [target.userId],
    );
    assert.ok(!JSON.stringify(found.body).includes(`86${target.phone}`), "no telephone in the result");
    const otherArea = await search({ areaCode: "1", phone: target.phone });
    assert.deepEqual(otherArea.body.items, []);
    const partial = await search({ areaCode: "86", phone: target.phone.slice(0, -1) });
    assert.deepEqual(partial.body.items, [], "phone search is exact");
    const byNumberAsNickname = await byNickname(target.phone);
    assert.ok(!byNumberAsNickname.items.some((u) => u.userId === target.userId), "the nickname search does not look at phones");
  });

  it("does not find a user who turned off search by phone", async () => {
    const target = await registerUser(stack, client);
    const set = await client.patch("/v1/users/me/settings", { closeTelephoneFind: 1 }, target.token);
    assert.equal(set.status, 200);
    const reply = await search({ areaCode: "86", phone: target.phone });
    assert.equal(reply.status, 200);
    assert.deepEqual(reply.body.items, []);
    assert.equal(reply.body.hasMore, false);
    // Still found by nickname.
    const byName = await byNickname(target.nickname);
    assert.ok(byName.items.some((u) => u.userId === target.userId));
  });

  it("refuses phone search with 403 when the operator turned it off", async () => {
    const target = await registerUser(stack, client);
    const configs = stack.api.deps.models.clientConfig;
    await configs.updateOne({ _id: "client" }, { $set: { "values.closeTelephoneFind": 1 } });
    try {
      const reply = await search({ areaCode: "86", phone: target.phone });
      assert.equal(reply.status, 403, JSON.stringify(reply.body));
      assert.equal(errorOf(reply).key, "PHONE_SEARCH_DISABLED");
      // Nickname search is unaffected.
      assert.equal((await search({ nickname: target.nickname })).status, 200);
      const config = await client.get<{ closeTelephoneFind: number }>("/v1/config");
      assert.equal(config.body.closeTelephoneFind, 1, "clients are told too");
    } finally {
      await configs.updateOne({ _id: "client" }, { $set: { "values.closeTelephoneFind": 0 } });
    }
    assert.equal((await search({ areaCode: "86", phone: target.phone })).status, 200);
  });

  it("refuses searches without exactly one of nickname and phone, and bad paging", async () => {
    const neither = await search({});
    assert.equal(neither.status, 400);
    assert.equal(errorOf(neither).key, "VALIDATION_FAILED");
    assertInvalid(await search({ page: 1 }), "query");
    assertInvalid(await search({ nickname: "a", areaCode: "86", phone: "13800000000" }), "query");
    assertInvalid(await search({ nickname: "" }), "query.nickname");
    assertInvalid(await search({ nickname: "   " }), "query.nickname");
    assertInvalid(await search({ nickname: "n".repeat(33) }), "query.nickname");
    assertInvalid(await search({ nickname: "a\u0001" }), "query.nickname");
    assertInvalid(await search({ areaCode: "86", phone: "12ab" }), "query.phone");
    assertInvalid(await search({ areaCode: "+86", phone: "13800000000" }), "query.areaCode");
    assertInvalid(await search({ nickname: "a", pageSize: 0 }), "query.pageSize");
    assertInvalid(await search({ nickname: "a", pageSize: 101 }), "query.pageSize");
    assertInvalid(await search({ nickname: "a", page: -1 }), "query.page");
    assertInvalid(await search({ nickname: "a", page: "x" }), "query.page");
    const repeated = await client.get("/v1/users/search?nickname=a&nickname=b", me.token);
    assertInvalid(repeated, "query.nickname");
    const injected = await client.get("/v1/users/search?nickname[$ne]=x", me.token);
    assert.equal(injected.status, 400, "no operator objects from the query string");
    const anonymous = await client.get("/v1/users/search?nickname=a");
    assert.equal(anonymous.status, 401);
    assert.equal(errorOf(anonymous).key, "TOKEN_MISSING");
  });
});
