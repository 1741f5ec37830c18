import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { UploadKind } from "@im/data";
import { AppError } from "@im/protocol";
import {
  exifHasGps,
  fakeExecutable,
  makeAmr,
  makeAnimatedGif,
  makeJpeg,
  makeM4a,
  makeMp3,
  makeMp4,
  makeOpus,
  makePng,
  makeWav,
  makeWebm,
  writeFixture,
} from "@im/testing";
import sharp from "sharp";
import { allowedTypes, type ProcessOptions, processMedia, sniffFile } from "./index.js";
import { probe, runTool } from "./tools.js";

let root: string;
let count = 0;

before(async () => {
  root = await mkdtemp(join(tmpdir(), "im-process-test-"));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Writes `bytes` into a fresh work folder, sniffs it and processes it as `kind`. */
async function run(kind: UploadKind, bytes: Buffer, extra: Partial<ProcessOptions> = {}) {
  const workDir = join(root, `w${++count}`);
  await mkdir(workDir);
  const input = await writeFixture(workDir, "input", bytes);
  const sniffed = await sniffFile(input);
  const result = await processMedia(kind, input, sniffed, {
    workDir,
    thumbMaxPx: 320,
    avatarSizes: [48, 160],
    timeoutMs: 20_000,
    ...extra,
  });
  for (const file of [result.path, result.thumb?.path, ...(result.sizes ?? []).map((s) => s.path)]) {
    if (file) assert.ok(file.startsWith(workDir), `${file} lives under workDir`);
  }
  return { result, input, sniffed };
}

async function rejectsWith(promise: Promise<unknown>, key: string) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof AppError, `AppError expected, got ${String(error)}`);
    assert.equal(error.key, key);
    return true;
  });
}

describe("sniffFile / allowedTypes", () => {
  it("sniffs from the bytes, not the name; unknown bytes are undefined", async () => {
    const dir = await mkdtemp(join(root, "sniff-"));
    assert.deepEqual(await sniffFile(await writeFixture(dir, "photo.png", await makeJpeg({ width: 8, height: 8 }))), {
      mime: "image/jpeg",
      ext: "jpg",
    });
    assert.deepEqual(await sniffFile(await writeFixture(dir, "cat.jpg", fakeExecutable())), { mime: "application/x-elf", ext: "elf" });
    assert.equal(await sniffFile(await writeFixture(dir, "notes.mp4", Buffer.from("just some text\n"))), undefined);
  });

  it("has an allow-list per kind, any type for files", () => {
    assert.ok((allowedTypes("image") as readonly string[]).includes("image/gif"));
    assert.ok((allowedTypes("voice") as readonly string[]).includes("audio/amr"));
    assert.ok(!(allowedTypes("video") as readonly string[]).includes("application/x-elf"));
    assert.equal(allowedTypes("file"), "any");
  });
});

describe("images", () => {
  it("applies EXIF orientation, strips GPS and all EXIF, records the displayed size", async () => {
    const jpeg = await makeJpeg({ width: 200, height: 100, orientation: 6, gps: true });
    assert.ok(exifHasGps((await sharp(jpeg).metadata()).exif), "the fixture carries GPS");
    const { result, input } = await run("image", jpeg);
    assert.notEqual(result.path, input);
    assert.equal(result.contentType, "image/jpeg");
    assert.equal(result.width, 100);
    assert.equal(result.height, 200);
    const stored = await sharp(result.path).metadata();
    assert.equal(stored.width, 100);
    assert.equal(stored.height, 200);
    assert.equal(stored.exif, undefined, "no EXIF at all in the stored copy");
    assert.equal(stored.orientation, undefined);
    assert.ok(!exifHasGps(await readFile(result.path)));
    // The rotation is in the pixels: orientation 6 turns the red left half to the top.
    const { data } = await sharp(result.path).raw().toBuffer({ resolveWithObject: true });
    assert.ok((data[0] ?? 0) > 150 && (data[2] ?? 255) < 100, "top-left pixel is red");
    assert.ok(result.thumb);
    const thumb = await sharp(result.thumb.path).metadata();
    assert.deepEqual([thumb.width, thumb.height, thumb.exif], [100, 200, undefined], "small image: thumbnail not enlarged, rotated");
    assert.ok(result.timings.some((t) => t.step === "normalize") && result.timings.some((t) => t.step === "thumbnail"));
  });

  it("makes a thumbnail no longer than thumbMaxPx on its longest side", async () => {
    const { result } = await run("image", await makeJpeg({ width: 1200, height: 800 }), { thumbMaxPx: 300 });
    assert.deepEqual([result.width, result.height], [1200, 800]);
    assert.deepEqual([result.thumb?.width, result.thumb?.height], [300, 200]);
    assert.ok(result.thumb);
    const thumb = await sharp(result.thumb.path).metadata();
    assert.deepEqual([thumb.format, thumb.width, thumb.height], ["jpeg", 300, 200]);
  });

  it("keeps a PNG without metadata as uploaded; transparency gives a PNG thumbnail", async () => {
    const { result, input } = await run("image", await makePng({ width: 640, height: 320, alpha: true }));
    assert.equal(result.path, input);
    assert.equal(result.contentType, "image/png");
    assert.deepEqual([result.thumb?.contentType, result.thumb?.width, result.thumb?.height], ["image/png", 320, 160]);
  });

  it("keeps an animated GIF animated", async () => {
    const { result } = await run("image", await makeAnimatedGif({ frames: 5, width: 64, height: 48 }));
    assert.equal(result.contentType, "image/gif");
    assert.deepEqual([result.width, result.height], [64, 48]);
    const stored = await sharp(result.path, { animated: true }).metadata();
    assert.equal(stored.pages, 5);
    assert.ok(result.thumb);
    assert.deepEqual([result.thumb.width, result.thumb.height], [64, 48]);
  });

  it("refuses a renamed executable, a text file and a voice file as an image; a truncated JPEG is unreadable", async () => {
    await rejectsWith(run("image", fakeExecutable()), "UPLOAD_TYPE_NOT_ALLOWED");
    await rejectsWith(run("image", Buffer.from("hello, I am a text file\n".repeat(20))), "UPLOAD_TYPE_NOT_ALLOWED");
    await rejectsWith(run("image", await makeAmr({ seconds: 1 })), "UPLOAD_TYPE_NOT_ALLOWED");
    const jpeg = await makeJpeg({ width: 600, height: 400 });
    await rejectsWith(run("image", jpeg.subarray(0, Math.floor(jpeg.length / 2))), "MEDIA_UNREADABLE");
    const png = await makePng({ width: 300, height: 300 });
    await rejectsWith(run("image", png.subarray(0, 100)), "MEDIA_UNREADABLE");
  });
});

describe("avatars", () => {
  it("makes one square JPEG per size, cover-cropped after orientation, without metadata", async () => {
    const { result } = await run("avatar", await makeJpeg({ width: 300, height: 100, orientation: 6, gps: true }), {
      avatarSizes: [160, 48],
    });
    assert.deepEqual(
      result.sizes?.map((s) => [s.size, s.contentType]),
      [
        [48, "image/jpeg"],
        [160, "image/jpeg"],
      ],
    );
    for (const size of result.sizes ?? []) {
      const meta = await sharp(size.path).metadata();
      assert.deepEqual([meta.format, meta.width, meta.height, meta.exif], ["jpeg", size.size, size.size, undefined]);
    }
    assert.deepEqual([result.path, result.width, result.height], [result.sizes?.[1]?.path, 160, 160]);
    await rejectsWith(run("avatar", await makeMp4({ seconds: 1, width: 64, height: 64 })), "UPLOAD_TYPE_NOT_ALLOWED");
  });
});

describe("voice", () => {
  it("transcodes AMR-NB to an MP3 that plays, with its duration", async () => {
    const { result, input } = await run("voice", await makeAmr({ seconds: 3 }));
    assert.notEqual(result.path, input);
    assert.deepEqual([result.contentType, result.ext], ["audio/mpeg", "mp3"]);
    const out = await probe(result.path, "audio/mpeg", 10_000);
    assert.equal(out.audio?.codec, "mp3");
    assert.ok(Math.abs((result.duration ?? 0) - 3000) <= 100, `duration ${result.duration}`);
    // It decodes to the end (plays): ffmpeg reads every frame without error.
    await runTool("ffmpeg", ["-v", "error", "-xerror", "-i", result.path, "-f", "null", "-"], 10_000);
    assert.ok(result.timings.some((t) => t.step === "transcode"));
  });

  it("transcodes AMR-WB, M4A, Ogg/Opus and WAV; keeps MP3", async () => {
    for (const [name, bytes] of [
      ["amr-wb", await makeAmr({ seconds: 2, wideband: true })],
      ["m4a", await makeM4a({ seconds: 2 })],
      ["opus", await makeOpus({ seconds: 2 })],
      ["wav", await makeWav({ seconds: 2 })],
    ] as const) {
      const { result } = await run("voice", bytes);
      assert.equal(result.contentType, "audio/mpeg", name);
      assert.equal((await probe(result.path, "audio/mpeg", 10_000)).audio?.codec, "mp3", name);
      assert.ok(Math.abs((result.duration ?? 0) - 2000) <= 100, `${name} duration ${result.duration}`);
    }
    const { result, input } = await run("voice", await makeMp3({ seconds: 2 }));
    assert.equal(result.path, input);
    assert.ok(Math.abs((result.duration ?? 0) - 2000) <= 100, `mp3 duration ${result.duration}`);
  });

  it("refuses non-audio and an over-long voice; corrupt AMR is unreadable", async () => {
    await rejectsWith(run("voice", fakeExecutable()), "UPLOAD_TYPE_NOT_ALLOWED");
    await rejectsWith(run("voice", await makePng({ width: 10, height: 10 })), "UPLOAD_TYPE_NOT_ALLOWED");
    await rejectsWith(run("voice", await makeAmr({ seconds: 3 }), { maxDurationMs: 1000 }), "UPLOAD_TOO_LARGE");
    await rejectsWith(run("voice", Buffer.concat([Buffer.from("#!AMR\n"), Buffer.alloc(4)])), "MEDIA_UNREADABLE");
    // An MP4 with no audio track sniffs as video/mp4 (allowed as a voice container) but has nothing to transcode.
    await rejectsWith(run("voice", await makeMp4({ seconds: 1, width: 64, height: 64, audio: false })), "MEDIA_UNREADABLE");
  });
});

describe("video", () => {
  for (const faststart of [false, true]) {
    it(`keeps an MP4 (moov at the ${faststart ? "start" : "end"}), with duration, size and a poster`, async () => {
      const { result, input } = await run("video", await makeMp4({ seconds: 3, width: 640, height: 360, faststart }), { thumbMaxPx: 320 });
      assert.equal(result.path, input);
      assert.deepEqual([result.contentType, result.width, result.height], ["video/mp4", 640, 360]);
      assert.ok(Math.abs((result.duration ?? 0) - 3000) <= 100, `duration ${result.duration}`);
      assert.ok(result.thumb);
      const poster = await sharp(result.thumb.path).metadata();
      assert.deepEqual([poster.format, poster.width, poster.height], ["jpeg", 320, 180]);
      assert.deepEqual([result.thumb.width, result.thumb.height], [320, 180]);
    });
  }

  it("makes a poster of a video shorter than a second, and of a WebM", async () => {
    const short = await run("video", await makeMp4({ seconds: 0.5, width: 160, height: 120 }));
    assert.deepEqual([short.result.thumb?.width, short.result.thumb?.height], [160, 120]);
    const webm = await run("video", await makeWebm({ seconds: 2, width: 320, height: 240 }));
    assert.equal(webm.result.contentType, "video/webm");
    assert.deepEqual([webm.result.width, webm.result.height, webm.result.thumb?.width], [320, 240, 320]);
  });

  it("refuses non-video, over-long and truncated videos", async () => {
    await rejectsWith(run("video", fakeExecutable()), "UPLOAD_TYPE_NOT_ALLOWED");
    await rejectsWith(run("video", await makeMp3({ seconds: 1 })), "UPLOAD_TYPE_NOT_ALLOWED");
    await rejectsWith(run("video", await makeMp4({ seconds: 3, width: 64, height: 64 }), { maxDurationMs: 2000 }), "UPLOAD_TOO_LARGE");
    const mp4 = await makeMp4({ seconds: 2, width: 320, height: 240 });
    await rejectsWith(run("video", mp4.subarray(0, Math.floor(mp4.length / 3))), "MEDIA_UNREADABLE");
  });
});

describe("files", () => {
  it("stores any file as is with its sniffed type, octet-stream when unknown", async () => {
    const elf = await run("file", fakeExecutable());
    assert.deepEqual([elf.result.path, elf.result.contentType], [elf.input, "application/x-elf"]);
    const text = await run("file", Buffer.from("a,b,c\n1,2,3\n"));
    assert.deepEqual([text.result.path, text.result.contentType, text.result.ext], [text.input, "application/octet-stream", "bin"]);
    const jpeg = await run("file", await makeJpeg({ width: 10, height: 10, gps: true }));
    assert.deepEqual([jpeg.result.contentType, jpeg.result.thumb], ["image/jpeg", undefined]);
  });
});
