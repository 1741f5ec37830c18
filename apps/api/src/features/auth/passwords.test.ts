import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { hashPassword, needsRehash, verifyPassword } from "./passwords.js";

describe("passwords", () => {
  it("hashes with a salt and verifies", async () => {
    const a = await hashPassword("e10adc3949ba59abbe56e057f20f883e", 10);
    const b = await hashPassword("e10adc3949ba59abbe56e057f20f883e", 10);
    assert.notEqual(a, b, "salted");
    assert.ok(!a.includes("e10adc3949ba59abbe56e057f20f883e"), "never stored as sent");
    assert.equal(await verifyPassword("e10adc3949ba59abbe56e057f20f883e", a), true);
    assert.equal(await verifyPassword("wrong-password", a), false);
  });

  it("refuses malformed hashes and tells when to rehash", async () => {
    assert.equal(await verifyPassword("x", ""), false);
    assert.equal(await verifyPassword("x", "md5$abc"), false);
    const hash = await hashPassword("secret1", 10);
    assert.equal(needsRehash(hash, 10), false);
    assert.equal(needsRehash(hash, 12), true);
  });
});
