import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { friendNoticeTypes } from "../friend-notices.js";
import { isClientSendable, isMessageType, messageType, messageTypes } from "./message-types.js";

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

  it("says who may originate each type: relay types are exactly the unstored ones; notices are the server's", () => {
    for (const [code, def] of Object.entries(messageTypes)) {
      assert.equal(def.origin === "relay", !def.stored, `${code} ${def.name}`);
      if (def.category === "friend" || def.category === "room" || def.category === "live" || def.category === "system") {
        assert.equal(def.origin, "server", `${code} ${def.name}`);
      }
      if (def.category === "call") assert.equal(def.origin, "client", `${code} ${def.name}`);
    }
    for (const code of [0, 10, 27, 28, 83, 301, 302, 304, 401, 402, 403, 910, 911, 912, 913, 914]) {
      assert.equal(isClientSendable(code), false, `${code}`);
    }
    for (const code of [1, 2, 9, 26, 84, 85, 100, 125, 200, 201, 202]) assert.equal(isClientSendable(code), true, `${code}`);
    assert.equal(isClientSendable(999), false, "unknown types are not sendable");
  });
});
