import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { avatarUrl, isOwnAvatarUrl, mediaThumbUrl, mediaUrl } from "./urls.js";

const base = "https://media.example.com";

describe("media URLs", () => {
  it("builds the contract's URLs, ignoring a trailing slash of the base", () => {
    assert.equal(mediaUrl(`${base}/`, "a".repeat(32)), `${base}/v1/media/${"a".repeat(32)}`);
    assert.equal(mediaThumbUrl(base, "b".repeat(32)), `${base}/v1/media/${"b".repeat(32)}/thumb`);
    assert.equal(avatarUrl(base, "users", 10001, 3), `${base}/v1/avatars/users/10001?v=3`);
    assert.equal(avatarUrl(base, "rooms", "c".repeat(32), 1), `${base}/v1/avatars/rooms/${"c".repeat(32)}?v=1`);
  });

  it("accepts only our own avatar URLs of the exact form", () => {
    assert.ok(isOwnAvatarUrl(base, avatarUrl(base, "users", 10001, 3)));
    assert.ok(isOwnAvatarUrl(`${base}/`, avatarUrl(base, "rooms", "0123456789abcdef01234567", 12)));
    for (const url of [
      "https://evil.example.com/v1/avatars/users/10001?v=3",
      "https://media.example.com.evil.net/v1/avatars/users/10001?v=3",
      `${base}/v1/avatars/users/10001`,
      `${base}/v1/avatars/users/10001?v=3&x=1`,
      `${base}/v1/avatars/users/10001?v=3#frag`,
      `${base}/v1/avatars/users/../media/x?v=3`,
      `${base}/v1/avatars/groups/10001?v=3`,
      `${base}/v1/avatars/rooms/XYZ?v=3`,
      `${base}/v1/media/${"a".repeat(32)}`,
      `http://media.example.com/v1/avatars/users/10001?v=3`,
      `${base}Xv1/avatars/users/10001?v=3`,
      "",
    ]) {
      assert.equal(isOwnAvatarUrl(base, url), false, url);
    }
  });

  it("treats the base literally, not as a pattern", () => {
    assert.equal(isOwnAvatarUrl("http://a.b", "http://aXb/v1/avatars/users/1?v=1"), false);
  });
});
