import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { ApiClient, errorOf } from "../support/client.js";
import { startStack, type TestStack } from "../support/stack.js";
import { registerUser, type TestUser } from "../support/users.js";
import { assertInvalid } from "../support/validation.js";

type Json = Record<string, unknown>;

const PRIVATE_FIELDS = ["phone", "telephone", "areaCode", "settings", "birthday", "loc", "passwordHash", "loginLog", "status", "_id"];

describe("profile and settings", () => {
  let stack: TestStack;
  let client: ApiClient;
  let me: TestUser;
  before(async () => {
    stack = await startStack();
    client = new ApiClient(stack.api.url);
    me = await registerUser(stack, client, { nickname: "Profile Owner" });
  });
  after(() => stack.stop());

  const patchMe = (body: unknown, token = me.token) => client.patch<Json>("/v1/users/me", body, token);
  const patchSettings = (body: unknown, token = me.token) => client.patch<Json>("/v1/users/me/settings", body, token);

  it("shows me my own profile, settings included", async () => {
    const reply = await client.get<Json>("/v1/users/me", me.token);
    assert.equal(reply.status, 200);
    assert.equal(reply.body.userId, me.userId);
    assert.equal(reply.body.nickname, "Profile Owner");
    assert.equal(reply.body.phone, me.phone);
    assert.equal(reply.body.telephone, `86${me.phone}`);
    assert.equal(reply.body.areaCode, "86");
    assert.equal(typeof reply.body.settings, "object");
    assert.equal(typeof reply.body.modifyTime, "number");
    for (const field of ["passwordHash", "password", "loginLog", "_id"]) assert.ok(!(field in reply.body), `no ${field}`);
    const anonymous = await client.get("/v1/users/me");
    assert.equal(errorOf(anonymous).key, "TOKEN_MISSING");
  });

  it("updates each profile field", async () => {
    const before = (await client.get<Json>("/v1/users/me", me.token)).body;
    await sleep(2);
    const changes: Json[] = [
      { nickname: "  New Name  " },
      { description: "about me\nsecond line\twith tab" },
      { avatarUrl: `${stack.config.MEDIA_PUBLIC_URL}/v1/avatars/users/${me.userId}?v=64` }, // only our own (avatar-url.test.ts)
      { sex: 1 },
      { sex: 2 },
      { sex: 0 },
      { birthday: -86_400_000 },
      { loc: { lng: 116.4074, lat: 39.9042 } },
      { countryId: 86, provinceId: 11, cityId: 1101, areaId: 110101 },
      { avatarUrl: "" },
    ];
    for (const change of changes) {
      const reply = await patchMe(change);
      assert.equal(reply.status, 200, `${JSON.stringify(change)} → ${JSON.stringify(reply.body)}`);
      for (const [key, value] of Object.entries(change)) {
        const expected = key === "nickname" ? String(value).trim() : value;
        assert.deepEqual(reply.body[key], expected, key);
      }
    }
    const after = (await client.get<Json>("/v1/users/me", me.token)).body;
    assert.equal(after.nickname, "New Name");
    assert.equal(after.description, "about me\nsecond line\twith tab");
    assert.equal(after.avatarUrl, "");
    assert.equal(after.sex, 0);
    assert.equal(after.birthday, -86_400_000);
    assert.deepEqual(after.loc, { lng: 116.4074, lat: 39.9042 });
    assert.deepEqual([after.countryId, after.provinceId, after.cityId, after.areaId], [86, 11, 1101, 110101]);
    assert.ok(Number(after.modifyTime) > Number(before.modifyTime), "modifyTime moves");
    assert.equal(after.createTime, before.createTime, "createTime stays");
    assert.deepEqual(after.settings, before.settings, "profile updates leave settings alone");
  });

  it("refuses invalid profile changes with the field named", async () => {
    const cases: [unknown, string][] = [
      [{ sex: 3 }, "body.sex"],
      [{ sex: -1 }, "body.sex"],
      [{ sex: "1" }, "body.sex"],
      [{ avatarUrl: "not a url" }, "body.avatarUrl"],
      [{ avatarUrl: "javascript:alert(1)" }, "body.avatarUrl"],
      [{ avatarUrl: "data:text/html,<script>alert(1)</script>" }, "body.avatarUrl"],
      [{ avatarUrl: `https://example.com/${"a".repeat(520)}` }, "body.avatarUrl"],
      [{ avatarUrl: 5 }, "body.avatarUrl"],
      [{ nickname: "" }, "body.nickname"],
      [{ nickname: "   " }, "body.nickname"],
      [{ nickname: "n".repeat(33) }, "body.nickname"],
      [{ nickname: "evil\u0000" }, "body.nickname"],
      [{ nickname: "esc\u001b[31m" }, "body.nickname"],
      [{ nickname: "del\u007f" }, "body.nickname"],
      [{ nickname: ["a"] }, "body.nickname"],
      [{ nickname: { $set: "x" } }, "body.nickname"],
      [{ description: "d".repeat(201) }, "body.description"],
      [{ description: "bell\u0007" }, "body.description"],
      [{ birthday: 1.5 }, "body.birthday"],
      [{ birthday: "yesterday" }, "body.birthday"],
      [{ loc: { lng: 181, lat: 0 } }, "body.loc.lng"],
      [{ loc: { lng: 0, lat: -91 } }, "body.loc.lat"],
      [{ loc: { lng: 0 } }, "body.loc.lat"],
      [{ countryId: -1 }, "body.countryId"],
      [{ cityId: 1_000_001 }, "body.cityId"],
      [{}, "body"],
      [[], "body"],
    ];
    const before = (await client.get<Json>("/v1/users/me", me.token)).body;
    for (const [body, field] of cases) assertInvalid(await patchMe(body), field, JSON.stringify(body));
    const after = (await client.get<Json>("/v1/users/me", me.token)).body;
    assert.deepEqual(after, before, "nothing changed");
  });

  it("ignores fields nobody may change through the profile", async () => {
    const before = (await client.get<Json>("/v1/users/me", me.token)).body;
    const onlyForbidden = await patchMe({ telephone: "8613000000000", userId: 1, status: -1 });
    assert.equal(onlyForbidden.status, 400, "nothing changeable was given");
    const mixed = await patchMe({
      nickname: "Still Me",
      userId: 1,
      telephone: "8613000000000",
      phone: "13000000000",
      status: -1,
      userType: 2,
      level: 99,
      vip: 9,
      passwordHash: "scrypt$x",
      friendsCount: 1000,
      settings: { multipleDevices: 0 },
      createTime: 0,
    });
    assert.equal(mixed.status, 200, JSON.stringify(mixed.body));
    assert.equal(mixed.body.nickname, "Still Me");
    const doc = await stack.api.deps.models.users.findOne({ userId: me.userId }).lean();
    assert.ok(doc);
    assert.equal(doc.telephone, before.telephone);
    assert.equal(doc.phone, before.phone);
    assert.equal(doc.status, 0);
    assert.equal(doc.userType, 1);
    assert.equal(doc.level, 0);
    assert.equal(doc.vip, 0);
    assert.equal(doc.friendsCount, 0);
    assert.equal(doc.createTime, before.createTime);
    assert.ok(doc.passwordHash.startsWith("scrypt$") && doc.passwordHash !== "scrypt$x");
    assert.equal(doc.settings?.multipleDevices, 1);
    assert.equal(await stack.api.deps.models.users.countDocuments({ userId: 1 }), 0);
    assert.equal((await client.get("/v1/users/me", me.token)).status, 200);
  });

  it("reads and changes settings, 0/1 flags only", async () => {
    const user = await registerUser(stack, client);
    const initial = await client.get<Json>("/v1/users/me/settings", user.token);
    const initialSettings: Json = initial.body;
    assert.equal(initial.status, 200);
    assert.deepEqual(initial.body, {
      allowAtt: 1,
      allowGreet: 1,
      friendsVerify: 1,
      multipleDevices: 1,
      offlineNoPush: 0,
      pushPreview: 1,
      pushMentions: 1,
      closeTelephoneFind: 0,
      chatRecordTimeOut: -1,
    });
    const flags = [
      "allowAtt",
      "allowGreet",
      "friendsVerify",
      "multipleDevices",
      "offlineNoPush",
      "pushPreview",
      "pushMentions",
      "closeTelephoneFind",
    ];
    for (const flag of flags) {
      const flipped = initialSettings[flag] === 1 ? 0 : 1;
      const reply = await patchSettings({ [flag]: flipped }, user.token);
      assert.equal(reply.status, 200, flag);
      assert.equal(reply.body[flag], flipped, flag);
      for (const other of flags.filter((f) => f !== flag)) {
        assert.notEqual(reply.body[other], undefined, `${other} is still reported`);
      }
      for (const bad of [2, -1, "1", true, null, 0.5]) {
        assertInvalid(await patchSettings({ [flag]: bad }, user.token), `body.${flag}`, `${flag}=${JSON.stringify(bad)}`);
      }
    }
    for (const days of [-1, 1, 30, 3650]) {
      const reply = await patchSettings({ chatRecordTimeOut: days }, user.token);
      assert.equal(reply.status, 200, String(days));
      assert.equal(reply.body.chatRecordTimeOut, days);
    }
    for (const bad of [0, -2, 3651, 1.5, "7"]) {
      assertInvalid(await patchSettings({ chatRecordTimeOut: bad }, user.token), "body.chatRecordTimeOut", String(bad));
    }
    assertInvalid(await patchSettings({}, user.token), "body");
    assertInvalid(await patchSettings({ unknownSetting: 1 }, user.token), "body");

    const final = await client.get<Json>("/v1/users/me/settings", user.token);
    assert.deepEqual(final.body, {
      allowAtt: 0,
      allowGreet: 0,
      friendsVerify: 0,
      multipleDevices: 0,
      offlineNoPush: 1,
      pushPreview: 0,
      pushMentions: 0,
      closeTelephoneFind: 1,
      chatRecordTimeOut: 3650,
    });
    const self = await client.get<Json>("/v1/users/me", user.token);
    assert.deepEqual(self.body.settings, final.body, "the profile shows the same settings");
    // Several at once.
    const both = await patchSettings({ allowAtt: 1, offlineNoPush: 0 }, user.token);
    assert.equal(both.body.allowAtt, 1);
    assert.equal(both.body.offlineNoPush, 0);
    assert.equal(both.body.friendsVerify, 0, "untouched settings stay");
  });

  it("shows another user's public profile with how we relate", async () => {
    const other = await registerUser(stack, client, { nickname: "Someone Else" });
    const reply = await client.get<Json>(`/v1/users/${other.userId}`, me.token);
    assert.equal(reply.status, 200);
    assert.equal(reply.body.userId, other.userId);
    assert.equal(reply.body.nickname, "Someone Else");
    for (const field of PRIVATE_FIELDS) assert.ok(!(field in reply.body), `no ${field} in the public view`);
    assert.ok(!JSON.stringify(reply.body).includes(other.phone), "the phone number appears nowhere");
    assert.deepEqual(reply.body.relationship, { status: 0, blacklist: 0, isBeenBlack: 0, remarkName: "", followsMe: false });

    // With relationship records in both directions.
    const now = Date.now();
    await stack.api.deps.models.friendships.create([
      { userId: me.userId, toUserId: other.userId, status: 2, remarkName: "Buddy", createTime: now, modifyTime: now },
      { userId: other.userId, toUserId: me.userId, status: 2, createTime: now, modifyTime: now },
    ]);
    const friends = await client.get<Json>(`/v1/users/${other.userId}`, me.token);
    assert.deepEqual(friends.body.relationship, { status: 2, blacklist: 0, isBeenBlack: 0, remarkName: "Buddy", followsMe: true });
    // The other side sees its own record, not mine.
    const theirView = await client.get<Json>(`/v1/users/${me.userId}`, other.token);
    assert.deepEqual(theirView.body.relationship, { status: 2, blacklist: 0, isBeenBlack: 0, remarkName: "", followsMe: true });
    for (const field of PRIVATE_FIELDS) assert.ok(!(field in theirView.body), `no ${field} in the public view`);
  });

  it("answers 404 USER_NOT_FOUND for unknown or disabled users and 400 for a bad id", async () => {
    for (const id of ["99999999", "1", "2147483647"]) {
      const reply = await client.get(`/v1/users/${id}`, me.token);
      assert.equal(reply.status, 404, id);
      assert.equal(errorOf(reply).key, "USER_NOT_FOUND");
    }
    const disabled = await registerUser(stack, client);
    await stack.api.deps.models.users.updateOne({ userId: disabled.userId }, { $set: { status: -1 } });
    assert.equal(errorOf(await client.get(`/v1/users/${disabled.userId}`, me.token)).key, "USER_NOT_FOUND");

    for (const id of ["abc", "0", "-5", "1.5", "2147483648", "1e3x", "%20"]) {
      const reply = await client.get(`/v1/users/${id}`, me.token);
      assertInvalid(reply, "params.userId", id);
    }
    const anonymous = await client.get(`/v1/users/${me.userId}`);
    assert.equal(anonymous.status, 401);
  });
});
