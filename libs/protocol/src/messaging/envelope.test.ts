import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MAX_USER_ID } from "../ids.js";
import { utf8ByteLength } from "../validation.js";
import { MAX_AT_USERS, MAX_CONTENT_BYTES, MAX_SEND_PACKET_BYTES, sendMessageSchema } from "./envelope.js";

/** How Socket.IO frames an event with an acknowledgement over WebSocket: engine.io "4", socket.io "2", ack id. */
const packetBytes = (payload: unknown) => Buffer.byteLength(`42${Number.MAX_SAFE_INTEGER}${JSON.stringify(["message:send", payload])}`);

describe("message:send content limit", () => {
  it("fits the largest valid message, JSON-escaped in the worst case, in MAX_SEND_PACKET_BYTES", () => {
    const control = "\u0001";
    const worst = {
      messageId: "f".repeat(64),
      chatType: 2,
      to: "x".repeat(64),
      type: 115,
      content: control.repeat(MAX_CONTENT_BYTES),
      isEncrypt: false,
      isReadDel: false,
      fileSize: 10 * 1024 ** 3,
      fileTime: 86_400,
      location: { x: -179.12345678901235, y: -89.12345678901235 },
      objectId: "e".repeat(64),
      uploadId: "f".repeat(32),
      atUserIds: Array.from({ length: MAX_AT_USERS }, (_, i) => MAX_USER_ID - i),
      atAll: true,
      toUserName: control.repeat(64),
      fromUserName: control.repeat(64),
      timeSend: Number.MAX_SAFE_INTEGER,
    };
    assert.equal(sendMessageSchema.safeParse(worst).success, true, "the worst case is a valid message");
    assert.ok(packetBytes(worst) <= MAX_SEND_PACKET_BYTES, `${packetBytes(worst)} bytes`);
    for (const filler of ['"', "\\", "😀", "中", "\u2028"]) {
      const content = filler.repeat(Math.floor(MAX_CONTENT_BYTES / utf8ByteLength(filler)));
      assert.equal(sendMessageSchema.safeParse({ ...worst, content }).success, true, filler);
      assert.ok(packetBytes({ ...worst, content }) <= MAX_SEND_PACKET_BYTES, filler);
    }
  });

  it("counts UTF-8 bytes and refuses one past the limit, in any script", () => {
    const base = { messageId: "a".repeat(32), chatType: 1, to: "100002", type: 1 };
    assert.equal(sendMessageSchema.safeParse({ ...base, content: "a".repeat(MAX_CONTENT_BYTES) }).success, true);
    assert.equal(sendMessageSchema.safeParse({ ...base, content: "a".repeat(MAX_CONTENT_BYTES + 1) }).success, false);
    assert.equal(sendMessageSchema.safeParse({ ...base, content: "😀".repeat(MAX_CONTENT_BYTES / 4) }).success, true);
    assert.equal(sendMessageSchema.safeParse({ ...base, content: `${"😀".repeat(MAX_CONTENT_BYTES / 4)}a` }).success, false);
    for (const content of ["😀".repeat(16_384), "\u0001".repeat(16_000), "a".repeat(16_385), "😀".repeat(20_000)]) {
      assert.equal(sendMessageSchema.safeParse({ ...base, content }).success, false);
    }
  });

  it("refuses lone surrogates in every user text, accepts pairs", () => {
    const base = { messageId: "a".repeat(32), chatType: 1, to: "100002", type: 1 };
    for (const field of ["content", "fromUserName", "toUserName"]) {
      assert.equal(sendMessageSchema.safeParse({ ...base, [field]: "x\uD800y" }).success, false, field);
      assert.equal(sendMessageSchema.safeParse({ ...base, [field]: "x\uDC00" }).success, false, field);
      assert.equal(sendMessageSchema.safeParse({ ...base, [field]: "x😀y" }).success, true, field);
    }
  });
});

describe("utf8ByteLength", () => {
  it("agrees with Buffer.byteLength on well-formed text", () => {
    for (const text of ["", "abc", "é", "中文", "😀", "a😀b中\u0001", "\u07ff\u0800\uffff"]) {
      assert.equal(utf8ByteLength(text), Buffer.byteLength(text, "utf8"), text);
    }
  });
});
