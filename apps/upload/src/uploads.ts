import { createWriteStream } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { extname, join } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { UploadKind } from "@im/data";
import { attachBlob, contentIdOf, mediaThumbUrl, mediaUrl, newMediaKey, newThumbKey, randomId, type UploadRecord } from "@im/media";
import { type ProcessedMedia, processMedia, sniffFile } from "@im/media/process";
import { AppError } from "@im/protocol";
import type { Request } from "express";
import { fileTypeFromBuffer } from "file-type";
import type { UploadDeps } from "./context.js";
import { displayName, HashingCounter, peek, receiveFile, type UploadForm } from "./ingest.js";

/** Kinds a chat upload (POST /v1/uploads) may have; avatars have their own routes. */
export type ChatKind = Exclude<UploadKind, "avatar">;

const DAY_MS = 24 * 60 * 60 * 1000;

/** The configured size limit of a kind, bytes. */
export function kindLimit(deps: UploadDeps, kind: UploadKind): number {
  const c = deps.config;
  return {
    image: c.UPLOAD_MAX_IMAGE_BYTES,
    voice: c.UPLOAD_MAX_VOICE_BYTES,
    video: c.UPLOAD_MAX_VIDEO_BYTES,
    file: c.UPLOAD_MAX_FILE_BYTES,
    avatar: c.UPLOAD_MAX_AVATAR_BYTES,
  }[kind];
}

/**
 * When chat media made now expire: createTime + the client config's `fileValidTime` days (the seed's
 * setting; -1 or absent = never, null).
 */
export async function expireTimeFor(deps: Pick<UploadDeps, "models">, createTime: number): Promise<number | null> {
  const doc = await deps.models.clientConfig.findById("client").lean();
  const days = Number(doc?.values?.fileValidTime ?? -1);
  if (!Number.isFinite(days) || days < 0) return null;
  return createTime + days * DAY_MS;
}

/** Sniffed types of native executables (ELF, PE, Mach-O). */
const executableTypes = new Set(["application/x-elf", "application/x-msdownload", "application/x-mach-binary"]);
/** File name extensions an executable may honestly carry. */
const executableExtensions = new Set([
  "",
  ".exe",
  ".dll",
  ".msi",
  ".sys",
  ".com",
  ".scr",
  ".elf",
  ".so",
  ".bin",
  ".run",
  ".out",
  ".dylib",
  ".app",
  ".o",
]);

/**
 * A file whose bytes are a native executable but whose name claims another type (`invoice.pdf` holding a
 * PE) is refused (UPLOAD_TYPE_NOT_ALLOWED): a recipient would open it trusting the name. Executables under
 * their own names (`setup.exe`, `tool`) pass, like any other file.
 */
export function checkRenamedExecutable(mime: string | undefined, name: string): void {
  if (mime && executableTypes.has(mime) && !executableExtensions.has(extname(name).toLowerCase())) {
    throw new AppError("UPLOAD_TYPE_NOT_ALLOWED");
  }
}

/** Runs `work` in a fresh folder under UPLOAD_TMP_DIR, removed afterwards whatever happens. */
export async function withWorkDir<T>(deps: UploadDeps, work: (dir: string) => Promise<T>): Promise<T> {
  await mkdir(deps.config.UPLOAD_TMP_DIR, { recursive: true });
  const dir = await mkdtemp(join(deps.config.UPLOAD_TMP_DIR, "u-"));
  try {
    return await work(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Removes work folders (`u-*`) older than `olderThanMs` from UPLOAD_TMP_DIR: what an upload left when the
 * process died mid-way (killed, out of memory), since withWorkDir's cleanup never ran. Run at start; the age
 * keeps the folders of another instance's running uploads, should two share the folder. Returns how many went.
 */
export async function sweepStaleWorkDirs(tmpDir: string, olderThanMs: number, now = Date.now()): Promise<number> {
  let removed = 0;
  for (const name of await readdir(tmpDir).catch(() => [] as string[])) {
    if (!name.startsWith("u-")) continue;
    const path = join(tmpDir, name);
    const info = await stat(path).catch(() => undefined);
    if (!info || now - info.mtimeMs < olderThanMs) continue;
    await rm(path, { recursive: true, force: true });
    removed++;
  }
  return removed;
}

/** A spooled upload: where its bytes are, how many, their SHA-256 and the form's fields. */
export interface Spooled {
  path: string;
  bytes: number;
  sha256: string;
  form: UploadForm;
}

/**
 * Receives the request's file into `dir/input` (size-limited by the kind's limit), hashing as it streams.
 * Throws UPLOAD_EMPTY, UPLOAD_TOO_LARGE, UPLOAD_TRUNCATED (client went away, or the declared size differs).
 */
export async function spoolUpload(req: Request, dir: string, maxBytes: number): Promise<Spooled> {
  const path = join(dir, "input");
  const spooled = await receiveFile(req, { maxBytes }, async (file, form) => {
    const hasher = new HashingCounter(0);
    await pipeline(file, hasher, createWriteStream(path, { flags: "wx" }));
    return { path, bytes: hasher.bytes, sha256: hasher.digest(), form };
  });
  checkReceived(spooled.bytes, spooled.form.declaredSize);
  return spooled;
}

function checkReceived(bytes: number, declared: number | undefined): void {
  if (bytes === 0) throw new AppError("UPLOAD_EMPTY");
  if (declared !== undefined && declared !== bytes) throw new AppError("UPLOAD_TRUNCATED");
}

/** Records processing step timings in im_media_processing_seconds. */
export function observeTimings(deps: UploadDeps, processed: Pick<ProcessedMedia, "timings">): void {
  for (const timing of processed.timings) deps.metrics.processing.observe({ step: timing.step }, timing.seconds);
}

/**
 * Options of processMedia from the settings; for voice and video, the longest duration accepted
 * (UPLOAD_MAX_VOICE_SECONDS / UPLOAD_MAX_VIDEO_SECONDS): without it a 1 MB silent AMR declaring half an
 * hour was transcoded into a 14 MB MP3.
 */
export function processOptions(deps: UploadDeps, workDir: string, kind?: UploadKind) {
  const maxSeconds =
    kind === "voice" ? deps.config.UPLOAD_MAX_VOICE_SECONDS : kind === "video" ? deps.config.UPLOAD_MAX_VIDEO_SECONDS : undefined;
  return {
    workDir,
    thumbMaxPx: deps.config.UPLOAD_THUMB_MAX_PX,
    avatarSizes: deps.config.UPLOAD_AVATAR_SIZES,
    timeoutMs: deps.config.UPLOAD_PROCESS_TIMEOUT_SECONDS * 1000,
    ...(maxSeconds !== undefined ? { maxDurationMs: maxSeconds * 1000 } : {}),
  };
}

/** True for errors that are the client's fault (a refused upload), false for ours (a failed one). */
export function isRefusal(error: unknown): boolean {
  return error instanceof AppError && error.httpStatus < 500;
}

/** Counts an upload attempt's outcome (im_uploads_total, im_upload_bytes_total). */
export function countUpload(deps: UploadDeps, kind: UploadKind, outcome: "stored" | "deduplicated" | "refused" | "failed", bytes = 0) {
  deps.metrics.uploads.inc({ kind, outcome });
  if (bytes > 0) deps.metrics.bytes.inc({ kind }, bytes);
}

/**
 * POST /v1/uploads?kind=…: receives, checks, processes and stores one chat upload; returns its record.
 * image/voice/video are spooled to a temp file (processing needs one), files stream straight to storage.
 * Whatever is refused or fails leaves no object and no record behind.
 */
export async function ingestChatUpload(deps: UploadDeps, ownerId: number, kind: ChatKind, req: Request): Promise<UploadRecord> {
  const createTime = Date.now();
  const expireTime = await expireTimeFor(deps, createTime);
  const fields = (form: UploadForm) => ({ _id: randomId(), ownerId, kind, name: displayName(form.name), createTime, expireTime });
  try {
    const result = kind === "file" ? await ingestFile(deps, req, fields) : await ingestMedia(deps, kind, req, fields);
    countUpload(deps, kind, result.deduplicated ? "deduplicated" : "stored", result.received);
    return result.upload;
  } catch (error) {
    countUpload(deps, kind, isRefusal(error) ? "refused" : "failed");
    throw error;
  }
}

type Fields = (form: UploadForm) => Parameters<typeof attachBlob>[2];

async function ingestMedia(deps: UploadDeps, kind: ChatKind, req: Request, fields: Fields) {
  return withWorkDir(deps, async (dir) => {
    const spooled = await spoolUpload(req, dir, kindLimit(deps, kind));
    const processed = await processMedia(kind, spooled.path, await sniffFile(spooled.path), processOptions(deps, dir, kind));
    observeTimings(deps, processed);
    const now = new Date(fields(spooled.form).createTime);
    const key = newMediaKey(now);
    const thumbKey = processed.thumb ? newThumbKey(now) : undefined;
    try {
      await deps.storage.putFile(key, processed.path, processed.contentType);
      if (processed.thumb && thumbKey) await deps.storage.putFile(thumbKey, processed.thumb.path, processed.thumb.contentType);
      const size = (await stat(processed.path)).size;
      const attached = await attachBlob(
        deps,
        {
          contentId: contentIdOf(kind, spooled.sha256),
          key,
          size,
          contentType: processed.contentType,
          width: processed.width,
          height: processed.height,
          duration: processed.duration,
          thumbKey,
        },
        fields(spooled.form),
      );
      return { ...attached, received: spooled.bytes };
    } catch (error) {
      await deps.storage.removeObjects([key, thumbKey ?? ""]).catch(() => undefined);
      throw error;
    }
  });
}

async function ingestFile(deps: UploadDeps, req: Request, fields: Fields) {
  const key = newMediaKey();
  let stored = false;
  try {
    return await receiveFile(req, { maxBytes: kindLimit(deps, "file") }, async (file, form) => {
      const hasher = new HashingCounter(0);
      pipelineQuietly(file, hasher);
      const { head, whole } = await peek(hasher, 4100);
      if (head.length === 0) throw new AppError("UPLOAD_EMPTY");
      const sniffed = await fileTypeFromBuffer(head);
      checkRenamedExecutable(sniffed?.mime, displayName(form.name));
      const contentType = sniffed && !activeContent.has(sniffed.mime) ? sniffed.mime : "application/octet-stream";
      stored = true;
      // With the declared size, one PUT streams the file through (no part held in memory); else parts (storage.ts).
      const put = await deps.storage.putStream(key, whole, form.declaredSize, contentType);
      checkReceived(hasher.bytes, form.declaredSize);
      const attached = await attachBlob(
        deps,
        { contentId: contentIdOf("file", hasher.digest()), key, size: put.size, contentType },
        fields(form),
      );
      return { ...attached, received: hasher.bytes };
    });
  } catch (error) {
    if (stored) await deps.storage.removeObjects([key]).catch(() => undefined);
    throw error;
  }
}

/** Types a browser would run as active content: a file of these is served as application/octet-stream. */
const activeContent = new Set(["application/xml", "text/html", "application/xhtml+xml", "image/svg+xml"]);

/** Pipes `from` into `to`, an error of either destroying both (the reader of `to` sees it). */
function pipelineQuietly(from: Readable, to: HashingCounter): void {
  pipeline(from, to).catch(() => undefined);
}

/** The public shape of an upload (UploadView in the contract). */
export function uploadView(deps: Pick<UploadDeps, "config">, upload: UploadRecord) {
  const base = deps.config.MEDIA_PUBLIC_URL;
  return {
    uploadId: upload._id,
    kind: upload.kind,
    size: upload.size,
    contentType: upload.contentType,
    name: upload.name ?? "",
    ...(upload.width != null ? { width: upload.width } : {}),
    ...(upload.height != null ? { height: upload.height } : {}),
    ...(upload.duration != null ? { duration: upload.duration } : {}),
    url: mediaUrl(base, upload._id),
    ...(upload.thumbKey ? { thumbUrl: mediaThumbUrl(base, upload._id) } : {}),
    createTime: upload.createTime,
    expireTime: upload.expireTime ?? null,
  };
}
