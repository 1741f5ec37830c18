import { stat } from "node:fs/promises";
import { join } from "node:path";
import { AppError } from "@im/protocol";
import sharp from "sharp";
import { timed } from "./image.js";
import type { SniffedType } from "./sniff.js";
import { inputArgs, type Probe, probe, runTool } from "./tools.js";
import type { ProcessedMedia, ProcessOptions, StepTiming } from "./types.js";

/** Voice is stored as mono MP3 at this bit rate (ample for speech; the seed's AmrToMp3 made MP3 too). */
const VOICE_BITRATE = "64k";
/**
 * …and this sample rate (MPEG-2 layer III): enough for speech, and unlike AMR-NB's 8 kHz (MPEG-2.5, which some
 * players refuse) every MP3 player plays it.
 */
const VOICE_SAMPLE_RATE = "22050";

const ffmpegHead = ["-hide_banner", "-nostdin", "-v", "error", "-y"];

/** Runs ffmpeg and returns its stdout; its failure (exit, timeout, stderr kept as the cause) becomes MEDIA_UNREADABLE. */
async function ffmpeg(args: string[], timeoutMs: number): Promise<string> {
  try {
    return await runTool("ffmpeg", [...ffmpegHead, ...args], timeoutMs);
  } catch (error) {
    throw new AppError("MEDIA_UNREADABLE", { cause: error });
  }
}

function checkDuration(info: Probe, options: ProcessOptions): void {
  if (options.maxDurationMs !== undefined && info.durationMs > options.maxDurationMs) throw new AppError("UPLOAD_TOO_LARGE");
}

async function nonEmpty(path: string): Promise<boolean> {
  try {
    return (await stat(path)).size > 0;
  } catch {
    return false;
  }
}

/**
 * A voice upload (type 3): ffprobe checks there is an audio stream and reads the duration; anything but MP3 is
 * transcoded with ffmpeg (first audio stream only, mono 22.05 kHz, libmp3lame 64 kbit/s, no metadata) to
 * `audio/mpeg` — the seed's AmrToMp3Servlet; MP3 is kept as uploaded. duration (ms) = the length of the audio
 * ffmpeg wrote (its final `-progress` out_time), ffprobe's estimate of the input when that is missing; for a kept
 * MP3, ffprobe's.
 * Throws MEDIA_UNREADABLE (no audio, ffmpeg fails or times out), UPLOAD_TOO_LARGE (longer than maxDurationMs).
 */
export async function processVoice(inputPath: string, sniffed: SniffedType, options: ProcessOptions): Promise<ProcessedMedia> {
  const timings: StepTiming[] = [];
  const input = await timed(timings, "probe", () => probe(inputPath, sniffed.mime, options.timeoutMs));
  if (!input.audio) throw new AppError("MEDIA_UNREADABLE");
  checkDuration(input, options);
  if (sniffed.mime === "audio/mpeg" && input.audio.codec === "mp3") {
    return { path: inputPath, contentType: "audio/mpeg", ext: "mp3", duration: input.durationMs, timings };
  }
  const path = join(options.workDir, "voice.mp3");
  const progress = await timed(timings, "transcode", () =>
    ffmpeg(
      [
        ...["-nostats", "-progress", "pipe:1"],
        ...inputArgs(sniffed.mime, inputPath),
        ...["-map", "0:a:0", "-vn", "-sn", "-dn", "-map_metadata", "-1"],
        ...(options.maxDurationMs !== undefined ? ["-t", String(options.maxDurationMs / 1000)] : []),
        ...["-ac", "1", "-ar", VOICE_SAMPLE_RATE, "-c:a", "libmp3lame", "-b:a", VOICE_BITRATE, "-f", "mp3", `file:${path}`],
      ],
      options.timeoutMs,
    ),
  );
  const written = [...progress.matchAll(/^out_time_us=(\d+)$/gm)].at(-1)?.[1];
  const duration = written ? Math.round(Number(written) / 1000) : input.durationMs;
  return { path, contentType: "audio/mpeg", ext: "mp3", duration, timings };
}

/**
 * A video upload (type 6), stored as uploaded: ffprobe gives duration (ms) and the displayed width/height
 * (rotation applied); the poster is the frame at 1 s (at 0 s when the video is shorter or that fails), a JPEG
 * scaled to ≤ thumbMaxPx on its longest side. Read from the temp file, so an MP4 with its moov atom at the end works.
 * Throws MEDIA_UNREADABLE (no video stream, no decodable frame), UPLOAD_TOO_LARGE (longer than maxDurationMs).
 */
export async function processVideo(inputPath: string, sniffed: SniffedType, options: ProcessOptions): Promise<ProcessedMedia> {
  const timings: StepTiming[] = [];
  const info = await timed(timings, "probe", () => probe(inputPath, sniffed.mime, options.timeoutMs));
  if (!info.video) throw new AppError("MEDIA_UNREADABLE");
  checkDuration(info, options);
  const max = options.thumbMaxPx;
  const path = join(options.workDir, "poster.jpg");
  const thumb = await timed(timings, "poster", async () => {
    let failure: unknown;
    for (const at of info.durationMs > 1000 || info.durationMs === 0 ? ["1", "0"] : ["0"]) {
      try {
        await ffmpeg(
          [
            ...["-ss", at, ...inputArgs(sniffed.mime, inputPath)],
            ...["-map", "0:v:0", "-frames:v", "1", "-an", "-sn", "-dn", "-map_metadata", "-1"],
            ...["-vf", `scale=w='min(iw,${max})':h='min(ih,${max})':force_original_aspect_ratio=decrease`],
            ...["-q:v", "3", "-f", "image2", "-c:v", "mjpeg", `file:${path}`],
          ],
          options.timeoutMs,
        );
        if (await nonEmpty(path)) {
          const meta = await sharp(path).metadata();
          return { path, contentType: "image/jpeg", width: meta.width, height: meta.height };
        }
      } catch (error) {
        failure = error;
      }
    }
    throw failure instanceof AppError ? failure : new AppError("MEDIA_UNREADABLE", { cause: failure });
  });
  return {
    path: inputPath,
    contentType: sniffed.mime,
    ext: sniffed.ext,
    width: info.video.width,
    height: info.video.height,
    ...(info.durationMs > 0 ? { duration: info.durationMs } : {}),
    thumb,
    timings,
  };
}
