import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { errorTreatment, receiptTimeoutFor, retryDelayMs } from "./pending-queue.js";
import { SeenSet } from "./seen-set.js";

describe("client SDK helpers", () => {
  it("waits longer for large media receipts (seed 八: text 15 s, media 45 s)", () => {
    const timeouts = { text: 15_000, media: 45_000 };
    assert.equal(receiptTimeoutFor(1, timeouts), 15_000);
    for (const media of [2, 3, 5, 6, 7, 9]) assert.equal(receiptTimeoutFor(media, timeouts), 45_000);
  });

  it("remembers a bounded number of message ids, forgetting the oldest", () => {
    const seen = new SeenSet(3);
    for (const id of ["a", "b", "c", "d"]) seen.add(id);
    assert.equal(seen.has("a"), false);
    assert.equal(seen.has("d"), true);
    seen.add("d");
    assert.equal(seen.has("b"), true);
  });

  it("treats only the client's own errors as final", () => {
    for (const key of ["RATE_LIMITED", "SERVICE_UNAVAILABLE", "BUSY_RETRY"] as const) assert.equal(errorTreatment(key), "wait", key);
    assert.equal(errorTreatment("INTERNAL_ERROR"), "server");
    for (const key of ["VALIDATION_FAILED", "TOKEN_INVALID", "NOT_ROOM_MEMBER", "MESSAGE_TYPE_NOT_ALLOWED", "KEYWORD_REJECTED"] as const) {
      assert.equal(errorTreatment(key), "final", key);
    }
  });

  it("waits at least retryAfterSeconds, backing off and jittering", () => {
    const error = { code: 1005, key: "RATE_LIMITED" as const, message: "", retryAfterSeconds: 3 };
    assert.equal(
      retryDelayMs(error, 1, () => 0),
      3_000,
    );
    assert.equal(
      retryDelayMs(error, 1, () => 1),
      4_500,
    );
    assert.equal(
      retryDelayMs({ ...error, retryAfterSeconds: undefined }, 1, () => 0),
      1_000,
    );
    assert.equal(
      retryDelayMs(error, 5, () => 0),
      8_000,
    );
    assert.equal(
      retryDelayMs(error, 50, () => 0),
      30_000,
    );
  });
});
