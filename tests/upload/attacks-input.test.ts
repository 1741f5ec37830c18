import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdir, readFile, rm } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { deflateSync } from "node:zlib";
import { fakeExecutable, makeMp4 } from "@im/testing";
import sharp from "sharp";
import { errorOf } from "../support/client.js";
import { abortedUpload, allKeys, keysSettle, postForm, startUploadStack, type UploadStack } from "../support/upload.js";
import { registerUser, type TestUser } from "../support/users.js";

const run = promisify(execFile);

/** A silent AMR-NB voice file of `seconds` at 4.75 kbit/s (about 600 bytes a second). */
async function silentAmr(seconds: number): Promise<Buffer> {
  const path = join(tmpdir(), `attack-${randomBytes(6).toString("hex")}.amr`);
  await run("ffmpeg", [
    ...["-hide_banner", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "anullsrc=r=8000:cl=mono", "-t", String(seconds)],
    ...["-c:a", "libopencore_amrnb", "-b:a", "4.75k", "-f", "amr", path],
  ]);
  try {
    return await readFile(path);
  } finally {
    await rm(path, { force: true });
  }
}

/** A 1-bit greyscale PNG of width×height (all black): a few KB that decode to width×height pixels. */
function bombPng(width: number, height: number): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf: Buffer) => {
    let c = 0xffffffff;
    for (const byte of buf) c = (crcTable[(c ^ byte) & 0xff] as number) ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(body));
    return Buffer.concat([len, body, sum]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 1; // bit depth
  ihdr[9] = 0; // greyscale
  const row = Math.ceil(width / 8) + 1;
  const raw = Buffer.alloc(row * height); // filter 0, all zero
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(raw, { level: 9 })),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

/** Sets the movie header's (mvhd) duration of an MP4 to about `seconds` (a lying container). */
function lieAboutDuration(mp4: Buffer, seconds: number): Buffer {
  const out = Buffer.from(mp4);
  const at = out.indexOf("mvhd");
  assert.ok(at > 0, "mvhd found");
  const version = out[at + 4];
  assert.equal(version, 0);
  const timescale = out.readUInt32BE(at + 4 + 4 + 8);
  out.writeUInt32BE(Math.min(0xffffffff, timescale * seconds), at + 4 + 4 + 12);
  return out;
}

/** A GIF of `frames` 1×1 frames on a width×height screen (tiny file, width×height×frames pixels decoded). */
function manyFrameGif(width: number, height: number, frames: number): Buffer {
  const screen = Buffer.alloc(7);
  screen.writeUInt16LE(width, 0);
  screen.writeUInt16LE(height, 2);
  screen[4] = 0x80; // a global colour table of 2 colours
  const parts: Buffer[] = [Buffer.from("GIF89a"), screen, Buffer.from([0, 0, 0, 255, 255, 255])];
  parts.push(Buffer.from([0x21, 0xff, 0x0b]), Buffer.from("NETSCAPE2.0"), Buffer.from([3, 1, 0, 0, 0]));
  for (let i = 0; i < frames; i++) {
    const descriptor = Buffer.alloc(10);
    descriptor[0] = 0x2c;
    descriptor.writeUInt16LE(i % width, 1);
    descriptor.writeUInt16LE(1, 5);
    descriptor.writeUInt16LE(1, 7);
    parts.push(Buffer.from([0x21, 0xf9, 4, 0, 10, 0, 0, 0]), descriptor, Buffer.from([2, 2, 0x4c, 0x01, 0]));
  }
  parts.push(Buffer.from([0x3b]));
  return Buffer.concat(parts);
}

describe("upload attacks: hostile input", () => {
  let media: UploadStack;
  let alice: TestUser;

  before(async () => {
    media = await startUploadStack({ UPLOAD_MAX_VOICE_BYTES: String(2 * 1024 * 1024) });
    alice = await registerUser(media.stack, media.api);
  });
  after(async () => {
    await media?.stop();
  });

  const upload = (kind: string, bytes: Buffer, options: Parameters<typeof postForm>[4] = {}) =>
    postForm(media.upload.url, `/v1/uploads?kind=${kind}`, alice.token, bytes, options);

  async function nothingLeft(keysBefore: string[]) {
    await keysSettle(media, keysBefore, "no object left behind");
    assert.deepEqual(await readdir(media.config.UPLOAD_TMP_DIR), [], "no temp file left behind");
  }

  it("refuses a voice message far longer than a voice message (a 30-minute silent AMR of 1 MB)", async () => {
    const keys = await allKeys(media);
    const amr = await silentAmr(30 * 60);
    assert.ok(amr.length < 2 * 1024 * 1024, `${amr.length} bytes: under the byte limit`);
    const started = Date.now();
    const reply = await upload("voice", amr, { filename: "long.amr" });
    assert.equal(reply.status, 413, `${JSON.stringify(reply.body)} after ${Date.now() - started} ms`);
    assert.equal(errorOf(reply).key, "UPLOAD_TOO_LARGE");
    await nothingLeft(keys);
  });

  it("refuses a video whose container declares a ten-hour duration", async () => {
    const keys = await allKeys(media);
    const mp4 = lieAboutDuration(await makeMp4({ seconds: 2, width: 64, height: 64, audio: false }), 10 * 3600);
    const reply = await upload("video", mp4, { filename: "short.mp4" });
    assert.equal(reply.status, 413, JSON.stringify(reply.body));
    assert.equal(errorOf(reply).key, "UPLOAD_TOO_LARGE");
    await nothingLeft(keys);
  });

  it("refuses a decompression-bomb PNG (20000×20000 in a few KB) quickly, leaving nothing", async () => {
    const keys = await allKeys(media);
    const png = bombPng(20_000, 20_000);
    assert.ok(png.length < 200_000, `${png.length} bytes`);
    const started = Date.now();
    const reply = await upload("image", png, { filename: "bomb.png" });
    assert.ok(Date.now() - started < 10_000, `answered in ${Date.now() - started} ms`);
    assert.equal(reply.status, 400, JSON.stringify(reply.body));
    assert.equal(errorOf(reply).key, "MEDIA_UNREADABLE");
    await nothingLeft(keys);
    const avatar = await postForm(media.upload.url, "/v1/avatars/users/me", alice.token, png);
    assert.equal(avatar.status, 400, JSON.stringify(avatar.body));
    await nothingLeft(keys);
  });

  it("never serves what is appended to a picture (JPEG/PNG/GIF + ELF polyglots are stored as the picture only)", async () => {
    // No metadata, no rotation: pictures the app keeps as uploaded.
    const plain = sharp({ create: { width: 32, height: 32, channels: 3, background: "#808080" } });
    const pictures = [await plain.clone().jpeg().toBuffer(), await plain.clone().png().toBuffer(), await plain.clone().gif().toBuffer()];
    for (const picture of pictures) {
      const reply = await upload("image", Buffer.concat([picture, fakeExecutable()]), { filename: "cat.jpg" });
      assert.equal(reply.status, 201, JSON.stringify(reply.body));
      const id = (reply.body as { uploadId: string }).uploadId;
      const res = await fetch(`${media.upload.url}/v1/media/${id}?proxy=1`, { headers: { authorization: `Bearer ${alice.token}` } });
      const bytes = Buffer.from(await res.arrayBuffer());
      assert.equal(bytes.indexOf(Buffer.from([0x7f, 0x45, 0x4c, 0x46])), -1, `the ELF is not served (${res.headers.get("content-type")})`);
      assert.equal((await sharp(bytes).metadata()).width, 32);
    }
    // The same pictures without anything appended are still kept byte for byte.
    const kept = await upload("image", pictures[0] as Buffer, { filename: "plain.jpg" });
    assert.equal((kept.body as { size: number }).size, (pictures[0] as Buffer).length);
  });

  it("takes a 5000-frame GIF (with or without bytes appended) quickly and keeps it animated; refuses one over the pixel limit", async () => {
    const gif = manyFrameGif(200, 200, 5000);
    for (const bytes of [gif, Buffer.concat([gif, fakeExecutable()])]) {
      const started = Date.now();
      const reply = await upload("image", bytes, { filename: "many.gif" });
      assert.equal(reply.status, 201, JSON.stringify(reply.body));
      assert.ok(Date.now() - started < 5_000, `answered in ${Date.now() - started} ms`);
      const view = reply.body as { uploadId: string; size: number; width: number };
      assert.equal(view.size, gif.length);
      assert.equal(view.width, 200);
    }
    const keys = await allKeys(media);
    const huge = await upload("image", manyFrameGif(2000, 2000, 5000), { filename: "huge.gif" });
    assert.equal(huge.status, 400, JSON.stringify(huge.body));
    await nothingLeft(keys);
  });

  it("refuses an 'AMR' that is text, and renamed executables as image/voice/video", async () => {
    const keys = await allKeys(media);
    const text = Buffer.from(`#!AMR\n${"hello world, this is not audio. ".repeat(2000)}`);
    const amr = await upload("voice", text, { filename: "v.amr" });
    assert.ok(amr.status >= 400 && amr.status < 500, JSON.stringify(amr.body));
    for (const kind of ["image", "voice", "video"]) {
      const reply = await upload(kind, fakeExecutable(), { filename: "x.jpg" });
      assert.equal(reply.status, 415, JSON.stringify(reply.body));
    }
    await nothingLeft(keys);
  });

  it("keeps file names harmless: traversal, NUL, RTL override, header injection", async () => {
    const names = ["../../etc/passwd", "a\u0000b.txt", "invoice\u202Efdp.exe", 'x"\r\nSet-Cookie: a=b\r\n.txt'];
    for (const name of names) {
      const reply = await upload("file", Buffer.from("hello"), { name });
      assert.equal(reply.status, 201, JSON.stringify(reply.body));
      const view = reply.body as { uploadId: string; name: string };
      // biome-ignore lint/suspicious/noControlCharactersInRegex: checking control characters are gone is the point
      assert.doesNotMatch(view.name, /[\u0000-\u001f\u202e/\\]/);
      const res = await fetch(`${media.upload.url}/v1/media/${view.uploadId}?proxy=1`, {
        headers: { authorization: `Bearer ${alice.token}` },
      });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("set-cookie"), null);
      const redirect = await fetch(`${media.upload.url}/v1/media/${view.uploadId}`, {
        headers: { authorization: `Bearer ${alice.token}` },
        redirect: "manual",
      });
      assert.equal(redirect.status, 302);
      const presigned = await fetch(redirect.headers.get("location") as string);
      assert.equal(presigned.status, 200);
      assert.equal(presigned.headers.get("set-cookie"), null);
      await presigned.arrayBuffer();
    }
  });

  it("handles form abuse: two file parts, file before fields, huge field, chunked over-limit body", async () => {
    const keys = await allKeys(media);
    const boundary = "----attack";
    const part = (headers: string, body: Buffer | string) =>
      Buffer.concat([Buffer.from(`--${boundary}\r\n${headers}\r\n\r\n`), Buffer.from(body), Buffer.from("\r\n")]);
    const send = (body: Buffer, chunked: boolean) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request(`${media.upload.url}/v1/uploads?kind=file`, {
          method: "POST",
          headers: {
            authorization: `Bearer ${alice.token}`,
            "content-type": `multipart/form-data; boundary=${boundary}`,
            ...(chunked ? { "transfer-encoding": "chunked" } : { "content-length": String(body.length) }),
          },
        });
        req.on("error", reject);
        req.on("response", (res) => {
          let text = "";
          res.setEncoding("utf8").on("data", (c: string) => (text += c));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
        });
        if (chunked) for (let i = 0; i < body.length; i += 65536) req.write(body.subarray(i, i + 65536));
        else req.write(body);
        req.end();
      });
    const end = Buffer.from(`--${boundary}--\r\n`);
    // Two file parts: the first is kept.
    const two = await send(
      Buffer.concat([
        part('Content-Disposition: form-data; name="file"; filename="one.txt"', "first"),
        part('Content-Disposition: form-data; name="file"; filename="two.txt"', "second!"),
        end,
      ]),
      false,
    );
    assert.equal(two.status, 201, two.body);
    assert.equal(JSON.parse(two.body).size, 5);
    // A size field after the file is ignored (documented: before the file part).
    const late = await send(
      Buffer.concat([
        part('Content-Disposition: form-data; name="file"; filename="a.txt"', "abc"),
        part('Content-Disposition: form-data; name="size"', "99"),
        end,
      ]),
      false,
    );
    assert.equal(late.status, 201, late.body);
    // A huge name field: cut to the display length.
    const huge = await send(
      Buffer.concat([
        part('Content-Disposition: form-data; name="name"', "n".repeat(1_000_000)),
        part('Content-Disposition: form-data; name="file"; filename="a.txt"', "abc"),
        end,
      ]),
      false,
    );
    assert.ok(huge.status === 201 || huge.status === 400 || huge.status === 413, huge.body);
    if (huge.status === 201) assert.ok(JSON.parse(huge.body).name.length <= 200);
    // Over the limit without a Content-Length (chunked).
    const over = await send(
      Buffer.concat([part('Content-Disposition: form-data; name="file"; filename="big.bin"', randomBytes(12 * 1024 * 1024 + 10)), end]),
      true,
    );
    assert.equal(over.status, 413, over.body);
    const after = new Set(await allKeys(media));
    // "first" and "abc" (stored once: the second and third uploads deduplicate).
    assert.equal([...after].filter((k) => !keys.includes(k)).length, 2, "only the accepted uploads stored");
    assert.deepEqual(await readdir(media.config.UPLOAD_TMP_DIR), []);
  });

  it("leaves no temp file, object or record when the client goes away mid-upload of any kind", async () => {
    const keys = await allKeys(media);
    const records = await media.upload.deps.models.uploads.countDocuments();
    for (const kind of ["image", "voice", "video", "file"]) {
      await abortedUpload(media.upload.url, `/v1/uploads?kind=${kind}`, alice.token, 1024 * 1024, 300_000);
      await abortedUpload(media.upload.url, "/v1/avatars/users/me", alice.token, 1024 * 1024, 300_000);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(await media.upload.deps.models.uploads.countDocuments(), records);
    await nothingLeft(keys);
  });

  it("answers Range abuse in proxy mode", async () => {
    const bytes = randomBytes(1000);
    const reply = await upload("file", bytes, { name: "r.bin" });
    const id = (reply.body as { uploadId: string }).uploadId;
    const get = (range: string) =>
      fetch(`${media.upload.url}/v1/media/${id}?proxy=1`, { headers: { authorization: `Bearer ${alice.token}`, range } });
    const suffix = await get("bytes=-10");
    assert.equal(suffix.status, 206);
    assert.deepEqual(Buffer.from(await suffix.arrayBuffer()), bytes.subarray(990));
    assert.equal((await get("bytes=-0")).status, 416);
    assert.equal((await get("bytes=1000-")).status, 416);
    const past = await get("bytes=990-5000");
    assert.equal(past.status, 206);
    assert.equal(past.headers.get("content-range"), "bytes 990-999/1000");
    await past.arrayBuffer();
    const multi = await get("bytes=0-1,5-6");
    assert.equal(multi.status, 200);
    assert.equal((await multi.arrayBuffer()).byteLength, 1000);
    const huge = await get("bytes=0-99999999999999999999999999");
    assert.equal(huge.status, 206);
    await huge.arrayBuffer();
  });
});
