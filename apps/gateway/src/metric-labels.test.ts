import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { chatTypeLabel, countSessions, messageTypeLabel, recipientCount } from "./metric-labels.js";

describe("metric labels", () => {
  it("names chat types and message types instead of numbering them", () => {
    assert.equal(chatTypeLabel(1), "single");
    assert.equal(chatTypeLabel(2), "group");
    assert.equal(messageTypeLabel(1), "text");
    assert.equal(messageTypeLabel(202), "recall");
    assert.equal(messageTypeLabel(424242), "unknown");
  });

  it("counts distinct recipients other than the sender", () => {
    assert.equal(recipientCount([2], 1), 1);
    assert.equal(recipientCount([1, 2, 3, 3], 1), 2);
    assert.equal(recipientCount([1], 1), 0);
  });

  it("counts distinct users and devices per resource, listing every resource", () => {
    const { users, devices } = countSessions([
      { userId: 1, resource: "android" },
      { userId: 1, resource: "pc" },
      { userId: 2, resource: "android" },
    ]);
    assert.equal(users, 2);
    assert.equal(devices.get("android"), 2);
    assert.equal(devices.get("pc"), 1);
    assert.equal(devices.get("ios"), 0);
    assert.equal(countSessions([]).users, 0);
  });
});
