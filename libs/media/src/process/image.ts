import { createReadStream, createWriteStream } from "node:fs";
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { AppError } from "@im/protocol";
import sharp from "sharp";
import { imageEnd } from "./image-end.js";
import type { SniffedType } from "./sniff.js";
import type { ProcessedMedia, ProcessOptions, StepTiming } from "./types.js";

/**
 * sharp's decode strictness: refuse truncated images (what an interrupted upload leaves), tolerate the
 * warnings phone cameras' JPEGs commonly raise (stray bytes before markers).
 */
const FAIL_ON = "truncated" as const;

// libvips caches recent operations (50 MB of memory by default) and keeps recently opened input files open.
// Every upload is a different image, so the cache never hits: keep none. Its memory would stay in the upload
// app's RSS (load/bench/upload.ts), and a deleted file held open still takes disk space.
sharp.cache(false);

/** libvips' own time limit of one pipeline (options.timeoutMs, whole seconds, at least 1): it stops the work and fails. */
const timeoutOf = (options: Pick<ProcessOptions, "timeoutMs">) => ({ seconds: Math.max(1, Math.ceil(options.timeoutMs / 1000)) });

/** Formats that may carry animation: read every page so the stored copy keeps it. */
const animatedFormats = new Set(["image/gif", "image/webp"]);

/** Times `work` as `step` into `timings`. */
export async function timed<T>(timings: StepTiming[], step: StepTiming["step"], work: () => Promise<T>): Promise<T> {
  const started = process.hrtime.bigint();
  try {
    return await work();
  } finally {
    timings.push({ step, seconds: Number(process.hrtime.bigint() - started) / 1e9 });
  }
}

/** Runs a sharp pipeline; whatever it throws (undecodable, truncated, unsupported bytes) becomes MEDIA_UNREADABLE. */
async function decoding<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw new AppError("MEDIA_UNREADABLE", { cause: error });
  }
}

/**
 * An image upload (message types 2 and 5): the stored copy has its EXIF orientation applied and no metadata
 * (EXIF — GPS included —, XMP, IPTC are dropped; sharp writes none unless asked). Bytes without any metadata
 * and without a rotation to apply are kept as uploaded (GIFs usually), else re-encoded in their own format
 * (AVIF → JPEG for clients' sake); bytes after the image's end are cut off (imageEnd), and a file whose
 * structure imageEnd does not follow is re-encoded. An animated GIF/WebP stays animated. The thumbnail is the first frame,
 * ≤ thumbMaxPx on its longest side (never enlarged), JPEG, or PNG when the image has transparency.
 * width/height are the displayed size (after rotation; one frame of an animation).
 * Throws MEDIA_UNREADABLE when sharp cannot decode the bytes.
 */
export async function processImage(uploadedPath: string, sniffed: SniffedType, options: ProcessOptions): Promise<ProcessedMedia> {
  const timings: StepTiming[] = [];
  // Bytes after the image's end (a JPEG with an ELF or a ZIP appended, a motion photo's video) would be kept
  // and served with a picture kept as uploaded: they are cut off (cheap, unlike re-encoding a long animation);
  // a file whose structure imageEnd does not follow is re-encoded.
  const end = await imageEnd(uploadedPath, sniffed.mime);
  const size = (await stat(uploadedPath)).size;
  const inputPath = end !== undefined && end < size ? await cutAt(uploadedPath, end, options.workDir, sniffed.ext) : uploadedPath;
  const unfollowed = end === undefined || end > size;
  const animated = animatedFormats.has(sniffed.mime);
  const meta = await decoding(() => sharp(inputPath, { failOn: FAIL_ON, animated }).metadata());
  const oriented = meta.autoOrient ?? { width: meta.width, height: meta.height };
  const pages = meta.pages ?? 1;
  const width = oriented.width;
  const height = pages > 1 && meta.pageHeight ? meta.pageHeight : oriented.height;
  const rotate = (meta.orientation ?? 1) > 1;
  const hasMetadata = Boolean(meta.exif || meta.xmp || meta.iptc || rotate);

  let stored = { path: inputPath, contentType: sniffed.mime, ext: sniffed.ext };
  if (hasMetadata || unfollowed || sniffed.mime === "image/avif") {
    stored = await timed(timings, "normalize", () =>
      decoding(async () => {
        let image = sharp(inputPath, { failOn: FAIL_ON, animated }).timeout(timeoutOf(options));
        if (rotate) image = image.rotate();
        let target: { contentType: string; ext: string };
        switch (sniffed.mime) {
          case "image/png":
            image = image.png();
            target = { contentType: "image/png", ext: "png" };
            break;
          case "image/webp":
            image = image.webp({ quality: 90 });
            target = { contentType: "image/webp", ext: "webp" };
            break;
          case "image/gif":
            image = image.gif();
            target = { contentType: "image/gif", ext: "gif" };
            break;
          default:
            image = image.flatten({ background: "#ffffff" }).jpeg({ quality: 90 });
            target = { contentType: "image/jpeg", ext: "jpg" };
        }
        const path = join(options.workDir, `normalized.${target.ext}`);
        await image.toFile(path);
        return { path, ...target };
      }),
    );
  }

  const thumb = await timed(timings, "thumbnail", () =>
    decoding(async () => {
      const image = sharp(inputPath, { failOn: FAIL_ON })
        .timeout(timeoutOf(options))
        .rotate()
        .resize({ width: options.thumbMaxPx, height: options.thumbMaxPx, fit: "inside", withoutEnlargement: true });
      const alpha = meta.hasAlpha === true;
      const path = join(options.workDir, alpha ? "thumb.png" : "thumb.jpg");
      const info = await (alpha ? image.png() : image.jpeg({ quality: 80 })).toFile(path);
      return { path, contentType: alpha ? "image/png" : "image/jpeg", width: info.width, height: info.height };
    }),
  );
  return { ...stored, width, height, thumb, timings };
}

/** Copies the first `end` bytes of `path` to a new file in `workDir`; returns its path. */
async function cutAt(path: string, end: number, workDir: string, ext: string): Promise<string> {
  const cut = join(workDir, `cut.${ext}`);
  await pipeline(createReadStream(path, { start: 0, end: end - 1 }), createWriteStream(cut, { flags: "wx" }));
  return cut;
}

/**
 * An avatar (users and rooms, the seed's UploadAvatarServlet): one square JPEG per size in `avatarSizes`
 * (cover-cropped around the centre after applying EXIF orientation, transparency on white, no metadata),
 * smallest first. The stored bytes (`path`) are the largest size, with its width/height.
 * Throws MEDIA_UNREADABLE when sharp cannot decode the bytes.
 */
export async function processAvatar(inputPath: string, options: ProcessOptions): Promise<ProcessedMedia> {
  const timings: StepTiming[] = [];
  const wanted = [...new Set(options.avatarSizes.length > 0 ? options.avatarSizes : [options.thumbMaxPx])].sort((a, b) => a - b);
  const sizes = await timed(timings, "avatar", () =>
    decoding(async () => {
      await sharp(inputPath, { failOn: FAIL_ON }).metadata();
      // The upload is decoded once, into a lossless square of the largest size; every size is made from that.
      // (Decoding it per size cost a 1 MB PNG of 16380×16380 px almost 5 s of CPU for 4 sizes.)
      const largestSize = wanted[wanted.length - 1] as number;
      const square = join(options.workDir, "avatar-square.png");
      await sharp(inputPath, { failOn: FAIL_ON })
        .timeout(timeoutOf(options))
        .rotate()
        .resize(largestSize, largestSize, { fit: "cover", position: "centre" })
        .flatten({ background: "#ffffff" })
        .png({ compressionLevel: 1 })
        .toFile(square);
      const made: NonNullable<ProcessedMedia["sizes"]> = [];
      for (const size of wanted) {
        const path = join(options.workDir, `avatar-${size}.jpg`);
        await sharp(square).resize(size, size).jpeg({ quality: 85 }).toFile(path);
        made.push({ size, path, contentType: "image/jpeg" });
      }
      return made;
    }),
  );
  const largest = sizes[sizes.length - 1];
  if (!largest) throw new AppError("MEDIA_UNREADABLE");
  return { path: largest.path, contentType: "image/jpeg", ext: "jpg", width: largest.size, height: largest.size, sizes, timings };
}
