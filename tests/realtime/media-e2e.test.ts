// Issue 11 §5, end to end: register, upload an image through the upload app, send it as a type-2 message,
// the recipient fetches the thumbnail and the original through the URLs the message carries; once the
// message is recalled (or burnt after reading) the upload app refuses them.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ImClient } from "@im/client";
import { type DeliveredMessage, messageType } from "@im/protocol";
import { makeJpeg } from "@im/testing";
import sharp from "sharp";
import { collect, eventually, type GatewayProcess, registerUser, startGatewayProcess } from "../support/realtime.js";
import { postForm, startUploadStack, type UploadStack } from "../support/upload.js";
import type { TestUser } from "../support/users.js";

/** Fetches a media URL as a client does: the upload app's answer (302 to storage, or the bytes), followed. */
async function fetchMedia(url: string, token: string): Promise<{ status: number; bytes: Buffer }> {
  const first = await fetch(url, { redirect: "manual", headers: { authorization: `Bearer ${token}` } });
  if (first.status !== 302) return { status: first.status, bytes: Buffer.from(await first.arrayBuffer()) };
  const second = await fetch(first.headers.get("location") ?? "");
  return { status: second.status, bytes: Buffer.from(await second.arrayBuffer()) };
}

describe("media messages end to end (upload app, gateway, storage)", () => {
  let media: UploadStack;
  let gw: GatewayProcess;
  const clients: ImClient[] = [];
  before(async () => {
    media = await startUploadStack({}, { API_SMS_REQUIRED: "false" });
    // The gateway links media under the upload app's public URL, as the ImCluster sets it for both.
    gw = await startGatewayProcess(media.stack, "media-gw", { MEDIA_PUBLIC_URL: media.config.MEDIA_PUBLIC_URL });
  });
  after(async () => {
    for (const client of clients) client.close();
    await gw?.process.stop();
    await media?.stop();
  });

  const connect = async (user: TestUser) => {
    const client = new ImClient({ url: gw.url, token: user.token, resource: "android" });
    clients.push(client);
    await client.connect();
    return client;
  };
  const uploadImage = async (user: TestUser) => {
    const jpeg = await makeJpeg({ width: 1200, height: 900 });
    const reply = await postForm<{ uploadId: string; url: string; thumbUrl?: string }>(
      media.upload.url,
      "/v1/uploads?kind=image",
      user.token,
      jpeg,
      { filename: "photo.jpg", contentType: "image/jpeg" },
    );
    assert.equal(reply.status, 201, JSON.stringify(reply.body));
    return reply.body;
  };
  const arrived = async (inbox: DeliveredMessage[], messageId: string) => {
    await eventually(`message ${messageId}`, () => inbox.some((m) => m.messageId === messageId));
    const found = inbox.find((m) => m.messageId === messageId);
    assert.ok(found?.media, "carries media");
    return found.media;
  };

  it("the recipient fetches the thumbnail and the original; after a recall the upload app refuses them", async () => {
    const alice = await registerUser(media.stack, media.api);
    const bob = await registerUser(media.stack, media.api);
    const a = await connect(alice);
    const inbox = collect(await connect(bob));
    const image = await uploadImage(alice);
    assert.equal((await fetchMedia(image.url, bob.token)).status, 404, "not Bob's before he receives it");

    const sent = await a.sendMedia({ chatType: 1, to: String(bob.userId), type: messageType.image, uploadId: image.uploadId });
    const got = await arrived(inbox, sent.messageId);
    assert.equal(got.url, image.url, "the message's URL is the upload app's");
    assert.equal(got.thumbUrl, image.thumbUrl);
    assert.deepEqual([got.width, got.height, got.kind], [1200, 900, "image"]);

    const thumb = await fetchMedia(got.thumbUrl ?? "", bob.token);
    assert.equal(thumb.status, 200);
    const thumbMeta = await sharp(thumb.bytes).metadata();
    assert.ok(Math.max(thumbMeta.width ?? 0, thumbMeta.height ?? 0) < 1200, "a thumbnail, smaller than the original");
    const original = await fetchMedia(got.url, bob.token);
    assert.equal(original.status, 200);
    assert.deepEqual([(await sharp(original.bytes).metadata()).width, original.bytes.length], [1200, got.size]);

    await a.send({ chatType: 1, to: String(bob.userId), type: messageType.recall, objectId: sent.messageId });
    assert.equal((await fetchMedia(got.url, bob.token)).status, 404, "recalled: the original is refused");
    assert.equal((await fetchMedia(got.thumbUrl ?? "", bob.token)).status, 404, "and the thumbnail");
    assert.equal((await fetchMedia(got.url, alice.token)).status, 200, "its owner still fetches it");
  });

  it("a burn-after-reading image is refused once read", async () => {
    const alice = await registerUser(media.stack, media.api);
    const bob = await registerUser(media.stack, media.api);
    const a = await connect(alice);
    const b = await connect(bob);
    const inbox = collect(b);
    const image = await uploadImage(alice);
    const sent = await a.sendMedia({
      chatType: 1,
      to: String(bob.userId),
      type: messageType.image,
      uploadId: image.uploadId,
      isReadDel: true,
    });
    const got = await arrived(inbox, sent.messageId);
    assert.equal((await fetchMedia(got.url, bob.token)).status, 200, "readable before it is read");
    await b.send({ chatType: 1, to: String(alice.userId), type: messageType.readReceipt, objectId: sent.messageId });
    const deadline = Date.now() + 5_000;
    let status = 200;
    while (status === 200 && Date.now() < deadline) {
      status = (await fetchMedia(got.url, bob.token)).status;
      if (status === 200) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(status, 404, "burnt: refused");
  });
});
