import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { peerIndex } from "../../load/bench/lib/drive.js";

describe("bench peer choice", () => {
  it("with contacts, picks only the K neighbours after the sender, wrapping", () => {
    const seen = new Set<number>();
    for (let r = 0; r < 1; r += 0.01) seen.add(peerIndex(98, 100, 3, () => r));
    assert.deepEqual(
      [...seen].sort((a, b) => a - b),
      [0, 1, 99],
    );
  });

  it("without contacts, picks any other member, never the sender", () => {
    const seen = new Set<number>();
    for (let r = 0; r < 1; r += 0.001) seen.add(peerIndex(4, 10, 0, () => r));
    assert.equal(seen.has(4), false);
    assert.equal(seen.size, 9);
  });

  it("never picks the sender when the room is smaller than the contacts", () => {
    for (let r = 0; r < 1; r += 0.05)
      assert.notEqual(
        peerIndex(1, 2, 5, () => r),
        1,
      );
  });
});
