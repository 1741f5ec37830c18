/** One timed processing step (seconds): feeds `im_media_processing_seconds{step}`. */
export interface StepTiming {
  step: "thumbnail" | "avatar" | "transcode" | "poster" | "probe" | "normalize";
  seconds: number;
}

/** How to process one upload (see processMedia). */
export interface ProcessOptions {
  /** Folder for every file made (the caller creates it and deletes it afterwards). */
  workDir: string;
  /** Longest side of an image thumbnail or video poster, px (never enlarged). */
  thumbMaxPx: number;
  /** Avatar edge lengths, px: one square JPEG each. */
  avatarSizes: readonly number[];
  /** Longest any one ffmpeg/ffprobe run may take, ms; the process is killed after it. */
  timeoutMs: number;
  /** Longest voice or video accepted, ms (UPLOAD_TOO_LARGE beyond); no limit when absent. */
  maxDurationMs?: number;
}

/**
 * The result of processing an upload: the bytes to store (`path`, under workDir or the input itself), their
 * type and the media facts (px, ms), the thumbnail (image) or poster (video), the avatar sizes, and timings.
 */
export interface ProcessedMedia {
  path: string;
  contentType: string;
  ext: string;
  width?: number;
  height?: number;
  duration?: number;
  thumb?: { path: string; contentType: string; width: number; height: number };
  sizes?: { size: number; path: string; contentType: string }[];
  timings: StepTiming[];
}
