import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { avatarKey, avatarPrefix, isUploadId, newMediaKey, newThumbKey, randomId } from "./keys.js";
import { contentDisposition } from "./storage.js";

describe("bucket layout", () => {
  it("puts media and thumbnails under the UTC year and month with random ids", () => {
    const when = new Date(Date.UTC(2026, 0, 31, 23, 59));
    assert.match(newMediaKey(when), /^media\/2026\/01\/[0-9a-f]{32}$/);
    assert.match(newThumbKey(when), /^thumbs\/2026\/01\/[0-9a-f]{32}\.jpg$/);
    assert.notEqual(newMediaKey(when), newMediaKey(when));
  });

  it("keys avatars by owner, version and size", () => {
    assert.equal(avatarKey("users", 10001, 4, 128), "avatars/users/10001/4/128.jpg");
    assert.equal(avatarPrefix("rooms", "ab", 2), "avatars/rooms/ab/2/");
  });

  it("recognises upload ids", () => {
    assert.ok(isUploadId(randomId()));
    assert.equal(isUploadId("../../etc/passwd"), false);
    assert.equal(isUploadId("A".repeat(32)), false);
  });

  it("writes a Content-Disposition safe for any name", () => {
    assert.equal(contentDisposition('a "b".txt'), `inline; filename="a _b_.txt"; filename*=UTF-8''a%20%22b%22.txt`);
    assert.equal(contentDisposition("照片.jpg", "attachment"), `attachment; filename="__.jpg"; filename*=UTF-8''%E7%85%A7%E7%89%87.jpg`);
  });
});
