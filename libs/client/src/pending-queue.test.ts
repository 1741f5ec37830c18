import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { receiptTimeoutFor } from "./pending-queue.js";
import { SeenSet } from "./seen-set.js";

describe("client SDK helpers", () => {
  it("waits longer for large media receipts (seed 八: text 15 s, media 45 s)", () => {
    const timeouts = { text: 15_000, media: 45_000 };
    assert.equal(receiptTimeoutFor(1, timeouts), 15_000);
    for (const media of [2, 3, 6, 7, 9]) assert.equal(receiptTimeoutFor(media, timeouts), 45_000);
  });

  it("remembers a bounded number of message ids, forgetting the oldest", () => {
    const seen = new SeenSet(3);
    for (const id of ["a", "b", "c", "d"]) seen.add(id);
    assert.equal(seen.has("a"), false);
    assert.equal(seen.has("d"), true);
    seen.add("d");
    assert.equal(seen.has("b"), true);
  });
});
