// Presigned part URLs cannot bound what a client PUTs, so what one user can park in storage is bounded by how
// many multipart uploads they hold open (UPLOAD_MULTIPART_MAX_OPEN; break1 PUT 30 MiB into a 1-byte upload).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { errorOf } from "../support/client.js";
import { startUploadStack, type UploadStack } from "../support/upload.js";
import { registerUser, type TestUser } from "../support/users.js";

describe("multipart uploads held open per user", () => {
  let media: UploadStack;
  let alice: TestUser;
  let bob: TestUser;
  before(async () => {
    media = await startUploadStack({ UPLOAD_MULTIPART_MAX_OPEN: "2" });
    alice = await registerUser(media.stack, media.api);
    bob = await registerUser(media.stack, media.api);
  });
  after(() => media.stop());

  const init = (user: TestUser) =>
    media.files.post<{ uploadId: string }>("/v1/uploads/multipart", { kind: "file", size: 6 * 1024 * 1024, name: "big.bin" }, user.token);

  it("refuses a third open upload with RATE_LIMITED until one is aborted; other users are not affected", async () => {
    const first = await init(alice);
    assert.equal(first.status, 201, JSON.stringify(first.body));
    assert.equal((await init(alice)).status, 201);
    const third = await init(alice);
    assert.equal(third.status, 429, JSON.stringify(third.body));
    assert.equal(errorOf(third).key, "RATE_LIMITED");
    assert.equal((await init(bob)).status, 201, "another user has their own budget");
    assert.equal((await media.files.delete(`/v1/uploads/multipart/${first.body.uploadId}`, alice.token)).status, 204);
    assert.equal((await init(alice)).status, 201, "an aborted upload frees its place");
  });
});
