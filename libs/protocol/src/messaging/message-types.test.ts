import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { friendNoticeTypes } from "../friend-notices.js";
import { isMessageType, messageType, messageTypes } from "./message-types.js";

describe("message type registry", () => {
  it("names every seed type once and looks codes up by name", () => {
    const names = Object.values(messageTypes).map((t) => t.name);
    assert.equal(new Set(names).size, names.length, "names are unique");
    assert.equal(messageType.text, 1);
    assert.equal(messageType.readReceipt, 26);
    assert.equal(messageType.recall, 202);
    assert.equal(messageType.roomMemberAdd, 907);
    assert.equal(isMessageType(1), true);
    assert.equal(isMessageType(999), false);
  });

  it("agrees with the friend notice codes", () => {
    for (const code of Object.values(friendNoticeTypes)) {
      assert.equal(isMessageType(code), true, `${code}`);
      assert.equal(messageTypes[code].category, "friend");
    }
  });

  it("does not store typing", () => {
    assert.equal(messageTypes[201].stored, false);
  });
});
