import { spawn } from "node:child_process";
import { AppError } from "@im/protocol";
import { z } from "zod";

/** Most characters of a tool's stderr kept (its head: where ffmpeg says what is wrong). */
const MAX_STDERR = 64 * 1024;
/** Most characters of a tool's stdout kept (its tail: ffprobe's JSON is far smaller, ffmpeg's -progress ends there). */
const MAX_STDOUT = 1024 * 1024;

/** A failed ffmpeg/ffprobe run: the command line, exit code or signal, and its stderr (for the error log, never for clients). */
export class ToolError extends Error {
  constructor(
    message: string,
    readonly stderr: string,
  ) {
    super(stderr ? `${message}: ${stderr.slice(-2000)}` : message);
    this.name = "ToolError";
  }
}

/**
 * Runs `command` with an argument array (no shell), stdin closed, and resolves with its stdout (at most its
 * last MiB) once it exits 0.
 * Kills it (SIGKILL) after `timeoutMs`. Rejects with ToolError (carrying stderr) on a non-zero exit, a signal,
 * the timeout or a spawn failure (e.g. ffmpeg missing: scripts/ensure-tools.sh installs it).
 */
export function runTool(command: string, args: readonly string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      if (stdout.length > MAX_STDOUT) stdout = stdout.slice(-MAX_STDOUT);
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      if (stderr.length < MAX_STDERR) stderr += chunk;
    });
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(new ToolError(`${command} could not start (${error.message})`, ""));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (timedOut) reject(new ToolError(`${command} timed out after ${timeoutMs} ms`, stderr.trim()));
      else if (code === 0) resolve(stdout);
      else reject(new ToolError(`${command} failed (${signal ?? `exit ${code}`})`, stderr.trim()));
    });
  });
}

/**
 * The ffmpeg demuxer forced for each sniffed type: the bytes are read as what file-type said they are, never
 * as a playlist/concat/image2 input ffmpeg might guess (those can reference other files or URLs).
 */
const demuxers: Record<string, string> = {
  "audio/amr": "amr",
  "audio/mpeg": "mp3",
  "audio/aac": "aac",
  "audio/mp4": "mov",
  "audio/x-m4a": "mov",
  "audio/ogg": "ogg",
  "audio/ogg; codecs=opus": "ogg",
  "audio/wav": "wav",
  "audio/webm": "matroska",
  "video/mp4": "mov",
  "video/x-m4v": "mov",
  "video/quicktime": "mov",
  "video/3gpp": "mov",
  "video/webm": "matroska",
};

/** ffmpeg/ffprobe input options for a local file of the sniffed `mime`: forced demuxer, local files only. */
export function inputArgs(mime: string, path: string): string[] {
  const format = demuxers[mime];
  return ["-protocol_whitelist", "file", ...(format ? ["-f", format] : []), "-i", `file:${path}`];
}

const probeSchema = z.object({
  streams: z
    .array(
      z.object({
        codec_type: z.string().optional(),
        codec_name: z.string().optional(),
        width: z.number().optional(),
        height: z.number().optional(),
        duration: z.string().optional(),
        tags: z.record(z.string(), z.string()).optional(),
        side_data_list: z.array(z.object({ rotation: z.number().optional() }).loose()).optional(),
      }),
    )
    .default([]),
  format: z.object({ format_name: z.string().optional(), duration: z.string().optional() }).loose().default({}),
});

/** What ffprobe says about a file: container, duration (ms, 0 when unknown), the first audio and video streams. */
export interface Probe {
  formatName: string;
  durationMs: number;
  audio?: { codec: string };
  /** Display size: width/height swapped when the stream carries a 90°/270° rotation (phones). */
  video?: { codec: string; width: number; height: number };
}

/**
 * Runs ffprobe (`-print_format json -show_format -show_streams`) on `path` read as `mime`.
 * Throws AppError MEDIA_UNREADABLE (cause: the ToolError with ffprobe's stderr) when it cannot read it.
 */
export async function probe(path: string, mime: string, timeoutMs: number): Promise<Probe> {
  let raw: unknown;
  try {
    const args = ["-hide_banner", "-v", "error", "-print_format", "json", "-show_format", "-show_streams"];
    raw = JSON.parse(await runTool("ffprobe", [...args, ...inputArgs(mime, path)], timeoutMs));
  } catch (error) {
    throw new AppError("MEDIA_UNREADABLE", { cause: error });
  }
  const parsed = probeSchema.safeParse(raw);
  if (!parsed.success) throw new AppError("MEDIA_UNREADABLE", { cause: parsed.error });
  const { streams, format } = parsed.data;
  const seconds = Number(format.duration ?? streams.find((stream) => stream.duration)?.duration ?? 0);
  const result: Probe = { formatName: format.format_name ?? "", durationMs: Number.isFinite(seconds) ? Math.round(seconds * 1000) : 0 };
  const audio = streams.find((stream) => stream.codec_type === "audio");
  if (audio) result.audio = { codec: audio.codec_name ?? "" };
  const video = streams.find((stream) => stream.codec_type === "video" && stream.width && stream.height);
  if (video?.width && video.height) {
    const rotation = video.side_data_list?.find((side) => side.rotation !== undefined)?.rotation ?? Number(video.tags?.rotate ?? 0);
    const quarter = Math.abs(Math.round(rotation / 90)) % 2 === 1;
    result.video = {
      codec: video.codec_name ?? "",
      width: quarter ? video.height : video.width,
      height: quarter ? video.width : video.height,
    };
  }
  return result;
}
