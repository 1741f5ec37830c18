import type { UploadKind } from "@im/data";
import { AppError } from "@im/protocol";
import { processVideo, processVoice } from "./av.js";
import { processAvatar, processImage } from "./image.js";
import { isAllowedType, type SniffedType } from "./sniff.js";
import type { ProcessedMedia, ProcessOptions } from "./types.js";

export { allowedTypes, isAllowedType, type SniffedType, sniffFile } from "./sniff.js";
export { ToolError } from "./tools.js";
export type { ProcessedMedia, ProcessOptions, StepTiming } from "./types.js";

/** The content type of bytes file-type does not know. */
export const UNKNOWN_CONTENT_TYPE = "application/octet-stream";

/** Types a browser would render as active content (scripts): a file upload of these is recorded as a plain download. */
const activeContentTypes = new Set(["application/xml", "text/html", "application/xhtml+xml", "image/svg+xml"]);

/**
 * Processes one upload spooled to `inputPath`, per kind (docs: BRIEF "Processing", issue 11 §2):
 * - image: EXIF orientation applied, metadata (GPS) stripped, animated GIF/WebP kept animated, thumbnail
 *   ≤ thumbMaxPx; width/height as displayed (see processImage);
 * - avatar: one square JPEG per avatarSizes entry; path = the largest (see processAvatar);
 * - voice: transcoded to MP3 (`audio/mpeg`), duration ms (see processVoice);
 * - video: kept as is; duration, width/height, poster JPEG (see processVideo);
 * - file: stored as is with its sniffed type (`application/octet-stream` when unknown or active content).
 * `sniffed` is sniffFile's answer (undefined = unknown bytes). Every file made lives under options.workDir;
 * `path` may be `inputPath` itself when the bytes are kept. Throws AppError UPLOAD_TYPE_NOT_ALLOWED when the
 * sniffed type is not in allowedTypes(kind), MEDIA_UNREADABLE when the bytes do not decode (ffmpeg's stderr or
 * sharp's error as the cause), UPLOAD_TOO_LARGE when voice/video is longer than maxDurationMs.
 */
export async function processMedia(
  kind: UploadKind,
  inputPath: string,
  sniffed: SniffedType | undefined,
  options: ProcessOptions,
): Promise<ProcessedMedia> {
  if (!isAllowedType(kind, sniffed)) throw new AppError("UPLOAD_TYPE_NOT_ALLOWED");
  if (kind === "file" || !sniffed) {
    const known = sniffed && !activeContentTypes.has(sniffed.mime) ? sniffed : undefined;
    return { path: inputPath, contentType: known?.mime ?? UNKNOWN_CONTENT_TYPE, ext: known?.ext ?? "bin", timings: [] };
  }
  switch (kind) {
    case "image":
      return processImage(inputPath, sniffed, options);
    case "avatar":
      return processAvatar(inputPath, options);
    case "voice":
      return processVoice(inputPath, sniffed, options);
    case "video":
      return processVideo(inputPath, sniffed, options);
  }
}
