import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp, { type Exif } from "sharp";

/*
 * Real media files made in the test (issue 11 §5): sharp draws the images, Debian's ffmpeg (scripts/ensure-tools.sh
 * installs ffmpeg + libavcodec-extra for the AMR encoders) encodes audio and video. Every maker returns the file's
 * bytes as a Buffer; `writeFixture(dir, name, bytes)` puts one on disk when a test needs a path.
 */

/** A JPEG of `width`×`height` px (stored orientation), optionally with an EXIF Orientation tag (1–8) and a GPS block. */
export interface JpegFixtureOptions {
  width: number;
  height: number;
  /** EXIF Orientation; 6 = the viewer rotates 90° clockwise, so a 200×100 stored image displays 100×200. */
  orientation?: number;
  /** Adds EXIF GPS latitude/longitude (Paris), the location a processed image must no longer carry. */
  gps?: boolean;
}

/** Makes a JPEG: a red/blue split (left half red) so rotation is visible in pixels. */
export async function makeJpeg(options: JpegFixtureOptions): Promise<Buffer> {
  let image = sharp(await splitRaw(options.width, options.height), {
    raw: { width: options.width, height: options.height, channels: 3 },
  }).jpeg({ quality: 90 });
  const exif: Exif = { IFD0: { Make: "im-testing", Model: "fixture" } };
  if (options.gps) {
    exif.IFD3 = { GPSLatitudeRef: "N", GPSLatitude: "48/1 51/1 29/1", GPSLongitudeRef: "E", GPSLongitude: "2/1 17/1 40/1" };
  }
  image = image.withExif(exif);
  if (options.orientation !== undefined) image = image.withMetadata({ orientation: options.orientation });
  return image.toBuffer();
}

/** Makes a PNG of `width`×`height` px; `alpha` gives it a transparent half. */
export async function makePng(options: { width: number; height: number; alpha?: boolean }): Promise<Buffer> {
  const channels = options.alpha ? 4 : 3;
  const pixels = Buffer.alloc(options.width * options.height * channels);
  for (let y = 0; y < options.height; y++) {
    for (let x = 0; x < options.width; x++) {
      const at = (y * options.width + x) * channels;
      pixels[at] = (x * 255) / options.width;
      pixels[at + 1] = (y * 255) / options.height;
      pixels[at + 2] = 128;
      if (channels === 4) pixels[at + 3] = x < options.width / 2 ? 0 : 255;
    }
  }
  return sharp(pixels, { raw: { width: options.width, height: options.height, channels } })
    .png()
    .toBuffer();
}

/** Makes an animated GIF of `frames` frames (default 4) of `width`×`height` px (default 64×48), 100 ms each. */
export async function makeAnimatedGif(options: { frames?: number; width?: number; height?: number } = {}): Promise<Buffer> {
  const frames = options.frames ?? 4;
  const width = options.width ?? 64;
  const height = options.height ?? 48;
  const pixels = Buffer.alloc(width * height * frames * 3);
  for (let f = 0; f < frames; f++) {
    const colour = [(f * 80) % 256, 255 - ((f * 60) % 256), (f * 120) % 256];
    for (let i = 0; i < width * height; i++) pixels.set(colour, (f * width * height + i) * 3);
  }
  return sharp(pixels, { raw: { width, height: height * frames, channels: 3, pageHeight: height } })
    .gif({ delay: Array(frames).fill(100), loop: 0 })
    .toBuffer();
}

/** Makes AMR audio (`seconds` of a 440 Hz tone): AMR-NB at 8 kHz (libopencore_amrnb), or AMR-WB at 16 kHz (libvo_amrwbenc). */
export async function makeAmr(options: { seconds: number; wideband?: boolean }): Promise<Buffer> {
  const [rate, codec] = options.wideband ? ["16000", "libvo_amrwbenc"] : ["8000", "libopencore_amrnb"];
  return ffmpegFixture("voice.amr", [
    ...["-f", "lavfi", "-i", `sine=frequency=440:duration=${options.seconds}`],
    ...["-ar", rate, "-ac", "1", "-c:a", codec, "-b:a", options.wideband ? "23.85k" : "12.2k", "-f", "amr"],
  ]);
}

/** Makes an MP3 (`seconds` of a 440 Hz tone, mono, 64 kbit/s). */
export async function makeMp3(options: { seconds: number }): Promise<Buffer> {
  return ffmpegFixture("voice.mp3", [
    ...["-f", "lavfi", "-i", `sine=frequency=440:duration=${options.seconds}`],
    ...["-ac", "1", "-c:a", "libmp3lame", "-b:a", "64k", "-f", "mp3"],
  ]);
}

/** Makes an M4A (AAC in MP4, `seconds` of a tone), the format iOS clients record voice in. */
export async function makeM4a(options: { seconds: number }): Promise<Buffer> {
  return ffmpegFixture("voice.m4a", [
    ...["-f", "lavfi", "-i", `sine=frequency=440:duration=${options.seconds}`],
    ...["-ac", "1", "-c:a", "aac", "-b:a", "64k", "-f", "ipod"],
  ]);
}

/** Makes a WAV (16-bit PCM, 16 kHz mono, `seconds` of a tone). */
export async function makeWav(options: { seconds: number }): Promise<Buffer> {
  return ffmpegFixture("voice.wav", [
    ...["-f", "lavfi", "-i", `sine=frequency=440:duration=${options.seconds}`],
    ...["-ar", "16000", "-ac", "1", "-c:a", "pcm_s16le", "-f", "wav"],
  ]);
}

/** Makes an Ogg/Opus file (`seconds` of a tone), what browsers and Android record voice in. */
export async function makeOpus(options: { seconds: number }): Promise<Buffer> {
  return ffmpegFixture("voice.ogg", [
    ...["-f", "lavfi", "-i", `sine=frequency=440:duration=${options.seconds}`],
    ...["-ac", "1", "-c:a", "libopus", "-b:a", "32k", "-f", "ogg"],
  ]);
}

/**
 * Makes an MP4 (H.264 test pattern at 10 fps, `seconds` long, `width`×`height` px, with a tone as its audio track).
 * By default the moov atom is at the end (ffmpeg's default; such a file cannot be read from a pipe);
 * `faststart: true` moves it to the front.
 */
export async function makeMp4(options: {
  seconds: number;
  width: number;
  height: number;
  faststart?: boolean;
  audio?: boolean;
}): Promise<Buffer> {
  const audio = options.audio ?? true;
  return ffmpegFixture("video.mp4", [
    ...["-f", "lavfi", "-i", `testsrc=size=${options.width}x${options.height}:rate=10:duration=${options.seconds}`],
    ...(audio ? ["-f", "lavfi", "-i", `sine=frequency=440:duration=${options.seconds}`, "-c:a", "aac", "-b:a", "32k"] : []),
    ...["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"],
    ...(options.faststart ? ["-movflags", "+faststart"] : []),
    ...["-f", "mp4"],
  ]);
}

/** Makes a WebM (VP8 test pattern, `seconds` long). */
export async function makeWebm(options: { seconds: number; width: number; height: number }): Promise<Buffer> {
  return ffmpegFixture("video.webm", [
    ...["-f", "lavfi", "-i", `testsrc=size=${options.width}x${options.height}:rate=10:duration=${options.seconds}`],
    ...["-c:v", "libvpx", "-deadline", "realtime", "-b:v", "200k", "-f", "webm"],
  ]);
}

/** A minimal 64-bit little-endian x86-64 ELF executable header followed by filler bytes (what a renamed binary looks like to a sniffer). */
export function fakeExecutable(): Buffer {
  const bytes = Buffer.alloc(512, 0x90);
  bytes.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0], 0); // \x7fELF, 64-bit, little-endian, version 1, System V
  bytes.fill(0, 8, 16);
  bytes.writeUInt16LE(2, 16); // e_type: executable
  bytes.writeUInt16LE(0x3e, 18); // e_machine: x86-64
  bytes.writeUInt32LE(1, 20); // e_version
  bytes.writeBigUInt64LE(0x400078n, 24); // e_entry
  bytes.writeBigUInt64LE(64n, 32); // e_phoff
  bytes.writeUInt16LE(64, 52); // e_ehsize
  bytes.writeUInt16LE(56, 54); // e_phentsize
  bytes.writeUInt16LE(1, 56); // e_phnum
  return bytes;
}

/** Writes `bytes` to `dir/name` and returns the path. */
export async function writeFixture(dir: string, name: string, bytes: Buffer): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, bytes);
  return path;
}

/**
 * True when a JPEG/TIFF EXIF block (as sharp's `metadata().exif` returns it, or a whole JPEG) has a GPS IFD
 * (tag 0x8825 in IFD0). Tests use it to prove the fixture carries a location and the processed image does not.
 */
export function exifHasGps(bytes: Buffer | undefined): boolean {
  if (!bytes) return false;
  // Find the TIFF header ("II*\0" or "MM\0*") wherever it starts (after "Exif\0\0" or inside a JPEG APP1).
  let tiff = -1;
  for (let i = 0; i + 4 <= bytes.length; i++) {
    if (
      (bytes[i] === 0x49 && bytes[i + 1] === 0x49 && bytes[i + 2] === 0x2a && bytes[i + 3] === 0) ||
      (bytes[i] === 0x4d && bytes[i + 1] === 0x4d && bytes[i + 2] === 0 && bytes[i + 3] === 0x2a)
    ) {
      tiff = i;
      break;
    }
  }
  if (tiff < 0) return false;
  const little = bytes[tiff] === 0x49;
  const u16 = (at: number) => (little ? bytes.readUInt16LE(at) : bytes.readUInt16BE(at));
  const u32 = (at: number) => (little ? bytes.readUInt32LE(at) : bytes.readUInt32BE(at));
  const ifd0 = tiff + u32(tiff + 4);
  if (ifd0 + 2 > bytes.length) return false;
  const entries = u16(ifd0);
  for (let e = 0; e < entries; e++) {
    const at = ifd0 + 2 + e * 12;
    if (at + 12 > bytes.length) return false;
    if (u16(at) === 0x8825) return true;
  }
  return false;
}

function splitRaw(width: number, height: number): Buffer {
  const pixels = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) pixels.set(x < width / 2 ? [220, 20, 20] : [20, 20, 220], (y * width + x) * 3);
  }
  return pixels;
}

/** Runs ffmpeg with `args` (inputs and output options; the output file is appended) and returns the output's bytes. */
async function ffmpegFixture(name: string, args: string[]): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), "im-media-fixture-"));
  try {
    const out = join(dir, name);
    await new Promise<void>((resolve, reject) => {
      const child = spawn("ffmpeg", ["-hide_banner", "-nostdin", "-loglevel", "error", "-y", ...args, out], {
        stdio: ["ignore", "ignore", "pipe"],
      });
      let stderr = "";
      child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
        stderr += chunk;
      });
      child.on("error", reject);
      child.on("close", (code) => {
        if (code === 0) resolve();
        else reject(new Error(`ffmpeg fixture ${name} failed (${code}): ${stderr.trim()}`));
      });
    });
    return await readFile(out);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
