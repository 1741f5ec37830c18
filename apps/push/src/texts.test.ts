import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { PushDeviceDoc } from "@im/data";
import { collapseIdOf, devicesForKind } from "./planner.js";
import { cut, languageOf, notificationText, PREVIEW_CHARS } from "./texts.js";

const base = { senderName: "Alice", preview: true } as const;

describe("notification texts", () => {
  it("picks zh, zh-TW or en from a device locale", () => {
    assert.equal(languageOf("zh"), "zh");
    assert.equal(languageOf("zh-CN"), "zh");
    assert.equal(languageOf("zh-Hant-HK"), "zh-TW");
    assert.equal(languageOf("zh-TW"), "zh-TW");
    assert.equal(languageOf("en-GB"), "en");
    assert.equal(languageOf("fr"), "en");
    assert.equal(languageOf(""), "zh");
  });

  it("previews each content type with its placeholder in the device's language", () => {
    const image = { ...base, kind: "alert" as const, type: 2 };
    assert.deepEqual(notificationText(image, "en"), { title: "Alice", body: "[Image]" });
    assert.deepEqual(notificationText(image, "zh"), { title: "Alice", body: "[图片]" });
    assert.deepEqual(notificationText(image, "zh-TW"), { title: "Alice", body: "[圖片]" });
    assert.equal(notificationText({ ...base, kind: "alert", type: 3 }, "en").body, "[Voice]");
    assert.equal(notificationText({ ...base, kind: "alert", type: 9 }, "zh").body, "[文件]");
    assert.equal(notificationText({ ...base, kind: "alert", type: 1 }, "en").body, "[Message]", "an encrypted text has no preview");
    assert.equal(notificationText({ ...base, kind: "alert", type: 500 }, "en").body, "wants to be your friend");
  });

  it("cuts long texts, prefixes rooms with the sender, marks mentions, and hides everything without previews", () => {
    const long = "x".repeat(500);
    const body = notificationText({ ...base, kind: "alert", type: 1, text: long }, "en").body;
    assert.equal([...body].length, PREVIEW_CHARS);
    assert.ok(body.endsWith("…"));
    assert.equal(cut("a\n\nb", 10), "a b");
    assert.deepEqual(notificationText({ ...base, kind: "alert", type: 1, text: "hi", roomName: "Team", mention: "me" }, "en"), {
      title: "Team",
      body: "[Mentioned]Alice: hi",
    });
    assert.deepEqual(notificationText({ ...base, preview: false, kind: "alert", type: 1, text: "secret", roomName: "Team" }, "zh"), {
      title: "新消息",
      body: "你收到一条新消息",
    });
    assert.deepEqual(notificationText({ ...base, kind: "call", type: 110 }, "en"), { title: "Alice", body: "Incoming video call" });
    assert.deepEqual(notificationText({ ...base, preview: false, kind: "call", type: 110 }, "en"), { title: "", body: "Incoming call" });
    assert.deepEqual(notificationText({ ...base, kind: "call-cancel", type: 104 }, "zh-TW"), { title: "", body: "通話已結束" });
  });
});

describe("planner helpers", () => {
  const device = (provider: string, sessionId: string) => ({ provider, sessionId }) as PushDeviceDoc;

  it("sends alerts to alert tokens, calls to a session's VoIP token when it has one", () => {
    const devices = [device("apns", "s1"), device("apns-voip", "s1"), device("apns", "s2"), device("fcm", "s3")];
    assert.deepEqual(
      devicesForKind(devices, "alert").map((d) => `${d.sessionId}:${d.provider}`),
      ["s1:apns", "s2:apns", "s3:fcm"],
    );
    assert.deepEqual(
      devicesForKind(devices, "call").map((d) => `${d.sessionId}:${d.provider}`),
      ["s1:apns-voip", "s2:apns", "s3:fcm"],
    );
  });

  it("keeps collapse ids within APNs' 64 bytes", () => {
    assert.equal(collapseIdOf("", "s_1_2"), "s_1_2");
    const long = collapseIdOf("call:", `g_${"房".repeat(40)}`);
    assert.ok(Buffer.byteLength(long) <= 64 && long.startsWith("call:"));
    assert.equal(long, collapseIdOf("call:", `g_${"房".repeat(40)}`), "stable");
  });
});
