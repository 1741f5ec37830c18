import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadUploadConfig } from "./config.js";

describe("upload config", () => {
  it("has the contract's defaults", () => {
    const config = loadUploadConfig({});
    assert.equal(config.UPLOAD_PORT, 8094);
    assert.equal(config.UPLOAD_DOWNLOAD_MODE, "redirect");
    assert.deepEqual(config.UPLOAD_AVATAR_SIZES, [64, 128, 256, 640]);
    assert.ok(config.UPLOAD_PUBLIC_ROUTES.includes("GET /v1/avatars/users/:userId"));
    assert.equal(config.S3_BUCKET, "im-media");
  });

  it("reads sizes and refuses bad ones", () => {
    assert.deepEqual(loadUploadConfig({ UPLOAD_AVATAR_SIZES: "256, 64,64" }).UPLOAD_AVATAR_SIZES, [64, 256]);
    assert.throws(() => loadUploadConfig({ UPLOAD_AVATAR_SIZES: "64,abc" }), /UPLOAD_AVATAR_SIZES/);
    assert.throws(() => loadUploadConfig({ UPLOAD_DOWNLOAD_MODE: "stream" }), /UPLOAD_DOWNLOAD_MODE/);
    assert.throws(() => loadUploadConfig({ UPLOAD_MAX_IMAGE_BYTES: "0" }), /UPLOAD_MAX_IMAGE_BYTES/);
  });

  it("cannot make a route that needs a caller public", () => {
    assert.throws(
      () => loadUploadConfig({ UPLOAD_PUBLIC_ROUTES: "GET /v1/media/:uploadId" }),
      /UPLOAD_PUBLIC_ROUTES: GET \/v1\/media\/:uploadId/,
    );
  });
});
