import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { deflateSync } from "node:zlib";
import sharp from "sharp";
import { processMedia } from "./index.js";

/** A 1-bit greyscale PNG of width×height: a few KB that decode to width×height pixels. */
function hugePng(width: number, height: number): Buffer {
  const table = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf: Buffer) => {
    let c = 0xffffffff;
    for (const byte of buf) c = (table[(c ^ byte) & 0xff] as number) ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
    const out = Buffer.alloc(body.length + 8);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc(body), body.length + 4);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 1;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(Buffer.alloc((Math.ceil(width / 8) + 1) * height), { level: 9 })),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

describe("avatars of huge pictures", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "avatar-cost-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  // The upload is decoded once into a square of the largest size and every size is made from that (image.ts);
  // decoding it per size cost this picture about 5 s of CPU. Speed is not asserted here (no timed tests):
  // this checks the sizes made from one decode are right.
  it("makes every avatar size of a 31 KB PNG of 16000×16000 px", async () => {
    const input = join(dir, "huge.png");
    await writeFile(input, hugePng(16_000, 16_000));
    const sniffed = { mime: "image/png", ext: "png" };
    const options = (work: string) => ({ workDir: join(dir, work), thumbMaxPx: 320, avatarSizes: [64, 128, 256, 640], timeoutMs: 60_000 });
    await mkdir(join(dir, "avatar"));
    const avatar = { result: await processMedia("avatar", input, sniffed, options("avatar")) };
    assert.deepEqual(
      avatar.result.sizes?.map((entry) => entry.size),
      [64, 128, 256, 640],
    );
    for (const entry of avatar.result.sizes ?? []) {
      const meta = await sharp(entry.path).metadata();
      assert.deepEqual([meta.width, meta.height, meta.format], [entry.size, entry.size, "jpeg"]);
    }
  });
});
