import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fakeExecutable, makeAnimatedGif, makeJpeg } from "@im/testing";
import sharp from "sharp";
import { imageEnd } from "./image-end.js";

describe("imageEnd: where a picture's encoded bytes end", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "image-end-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const noisy = () =>
    sharp(Buffer.from(Array.from({ length: 64 * 64 * 3 }, (_, i) => (i * 7919) % 256)), { raw: { width: 64, height: 64, channels: 3 } });

  async function endOf(bytes: Buffer, mime: string) {
    const path = join(dir, `f-${Math.random()}`);
    await writeFile(path, bytes);
    return imageEnd(path, mime);
  }

  it("finds the end of JPEG (baseline, progressive, EXIF), PNG, GIF and WebP files", async () => {
    const samples: [Buffer, string][] = [
      [await noisy().jpeg().toBuffer(), "image/jpeg"],
      [await noisy().jpeg({ progressive: true }).toBuffer(), "image/jpeg"],
      [await makeJpeg({ width: 50, height: 30 }), "image/jpeg"],
      [await noisy().png().toBuffer(), "image/png"],
      [await makeAnimatedGif({ frames: 5 }), "image/gif"],
      [await noisy().gif().toBuffer(), "image/gif"],
      [await noisy().webp().toBuffer(), "image/webp"],
    ];
    for (const [bytes, mime] of samples) {
      assert.equal(await endOf(bytes, mime), bytes.length, mime);
      const polyglot = Buffer.concat([bytes, fakeExecutable()]);
      assert.equal(await endOf(polyglot, mime), bytes.length, `${mime} + ELF`);
    }
  });

  it("answers undefined for what it cannot follow", async () => {
    assert.equal(await endOf(Buffer.from("not a jpeg"), "image/jpeg"), undefined);
    assert.equal(await endOf(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16]), "image/jpeg"), undefined);
    assert.equal(await endOf(Buffer.from("anything"), "image/avif"), undefined);
  });
});
