import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { DeliveredMessage } from "@im/protocol";
import { PREVIEW_SOURCE_CHARS } from "./event.js";
import { pushPolicyOf } from "./policy.js";
import { pushEventOf } from "./queue.js";

const base: DeliveredMessage = {
  conversationId: "s_100001_100002",
  seq: 7,
  messageId: "a".repeat(32),
  chatType: 1,
  fromUserId: 100001,
  fromResource: "ios",
  to: "100002",
  type: 1,
  content: "hello",
  isEncrypt: false,
  isReadDel: false,
  timeSend: 1,
  serverTime: 2,
};

describe("push policy", () => {
  it("alerts for content, calls for invites, cancels for ends and answers, nothing for control and housekeeping", () => {
    for (const type of [1, 2, 3, 5, 6, 8, 9, 28, 82, 85]) assert.equal(pushPolicyOf(type)?.kind, "alert", String(type));
    for (const type of [100, 110, 115, 120]) assert.deepEqual(pushPolicyOf(type), { kind: "call", audience: "recipients" });
    for (const type of [104, 114]) assert.deepEqual(pushPolicyOf(type), { kind: "call-cancel", audience: "recipients" });
    for (const type of [102, 103, 112, 113]) assert.deepEqual(pushPolicyOf(type), { kind: "call-cancel", audience: "sender-devices" });
    for (const type of [0, 10, 26, 101, 200, 201, 202, 401, 402, 504, 505, 507, 901, 903, 904, 906, 910, 9999]) {
      assert.equal(pushPolicyOf(type), null, String(type));
    }
  });
});

describe("pushEventOf", () => {
  it("leaves the sender out, keeps a plain text's preview source, cut to its limit", () => {
    const long = "字".repeat(PREVIEW_SOURCE_CHARS + 50);
    const event = pushEventOf({ ...base, content: long }, [100002, 100001, 100002], { sessionId: "s1" });
    assert.ok(event);
    assert.deepEqual(event.recipients, [100002]);
    assert.equal(event.fromSessionId, "s1");
    assert.equal(event.text, "字".repeat(PREVIEW_SOURCE_CHARS));
  });

  it("keeps no preview source for encrypted text or other types, and none for a recalled message", () => {
    assert.equal(pushEventOf({ ...base, isEncrypt: true }, [100002])?.text, undefined);
    assert.equal(pushEventOf({ ...base, type: 2, content: "{}" }, [100002])?.text, undefined);
    assert.equal(pushEventOf({ ...base, recalled: true }, [100002]), null);
    assert.equal(pushEventOf({ ...base, type: 201 }, [100002]), null);
  });

  it("tells a call's answer to the sender's own other devices", () => {
    const event = pushEventOf({ ...base, type: 102 }, [100002], { sessionId: "callee-phone" });
    assert.deepEqual(event?.recipients, [100001]);
    assert.equal(event?.audience, "sender-devices");
    assert.equal(event?.kind, "call-cancel");
  });

  it("tells a friend notice only to the side it is news for", () => {
    const notice = { ...base, fromUserId: 10005, type: 500 };
    const toOther = pushEventOf({ ...notice, content: JSON.stringify({ fromUserId: 1, toUserId: 2, direction: 1 }) }, [2]);
    const toActor = pushEventOf({ ...notice, content: JSON.stringify({ fromUserId: 1, toUserId: 2, direction: 0 }) }, [1]);
    assert.deepEqual(toOther?.recipients, [2]);
    assert.deepEqual(toActor?.recipients, []);
    assert.deepEqual(pushEventOf({ ...notice, content: "not json" }, [2])?.recipients, []);
  });

  it("tells a member-added notice only to the users someone else added", () => {
    const added = { ...base, chatType: 2 as const, fromUserId: 10005, type: 907, to: "r1", conversationId: "g_r1" };
    const invited = pushEventOf({ ...added, content: JSON.stringify({ roomId: "r1", userIds: [3, 4], operator: 1 }) }, [1, 2, 3, 4]);
    assert.deepEqual(invited?.recipients, [3, 4]);
    const joined = pushEventOf({ ...added, content: JSON.stringify({ roomId: "r1", userIds: [3], operator: 3 }) }, [1, 2, 3]);
    assert.deepEqual(joined?.recipients, []);
  });

  it("carries mentions", () => {
    const event = pushEventOf({ ...base, chatType: 2, to: "r1", atUserIds: [5, 6], atAll: true }, [5, 6, 7]);
    assert.deepEqual(event?.atUserIds, [5, 6]);
    assert.equal(event?.atAll, true);
  });
});
