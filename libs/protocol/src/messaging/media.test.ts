import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isMediaMessageType, mediaFitsType, uploadIdSchema } from "./media.js";
import { messageType } from "./message-types.js";

describe("media message types", () => {
  it("names 2, 3, 5, 6, 7, 9 as media types and no other", () => {
    const media = Array.from({ length: 1000 }, (_, type) => type).filter(isMediaMessageType);
    assert.deepEqual(media, [2, 3, 5, 6, 7, 9]);
  });

  it("fits uploads to types by kind (and GIF by content type)", () => {
    const jpeg = { kind: "image", contentType: "image/jpeg" };
    const gif = { kind: "image", contentType: "image/gif" };
    const voice = { kind: "voice", contentType: "audio/mpeg" };
    const ogg = { kind: "file", contentType: "audio/ogg" };
    const pdf = { kind: "file", contentType: "application/pdf" };
    const video = { kind: "video", contentType: "video/mp4" };
    const avatar = { kind: "avatar", contentType: "image/jpeg" };
    const table: Array<[number, object, boolean]> = [
      [messageType.image, jpeg, true],
      [messageType.image, gif, true],
      [messageType.image, voice, false],
      [messageType.gif, gif, true],
      [messageType.gif, jpeg, false],
      [messageType.voice, voice, true],
      [messageType.voice, ogg, false],
      [messageType.audio, voice, true],
      [messageType.audio, ogg, true],
      [messageType.audio, pdf, false],
      [messageType.video, video, true],
      [messageType.video, jpeg, false],
      [messageType.file, pdf, true],
      [messageType.file, jpeg, true],
      [messageType.file, avatar, false],
      [messageType.image, avatar, false],
      [messageType.text, jpeg, false],
    ];
    for (const [type, upload, fits] of table) {
      assert.equal(mediaFitsType(type, upload as { kind: string; contentType: string }), fits, `${type} ${JSON.stringify(upload)}`);
    }
  });

  it("takes upload ids of 32 lowercase hex digits only", () => {
    assert.equal(uploadIdSchema.safeParse("0123456789abcdef0123456789abcdef").success, true);
    for (const bad of ["0123456789ABCDEF0123456789ABCDEF", "abc", "../../etc/passwd", `${"a".repeat(32)}x`]) {
      assert.equal(uploadIdSchema.safeParse(bad).success, false, bad);
    }
  });
});
