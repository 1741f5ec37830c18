import type { UploadKind } from "@im/data";
import { fileTypeFromFile } from "file-type";

/** A type sniffed from a file's bytes: MIME type and usual extension (file-type's answer). */
export interface SniffedType {
  mime: string;
  ext: string;
}

/**
 * The type of the file at `path` from its first bytes (file-type 22: magic numbers, never the name), or
 * undefined when it is no format file-type knows (plain text, CSV, unknown binaries). Throws what the
 * file system throws (ENOENT…).
 */
export async function sniffFile(path: string): Promise<SniffedType | undefined> {
  const type = await fileTypeFromFile(path);
  return type ? { mime: type.mime, ext: type.ext } : undefined;
}

/** Images sharp (libvips 8.18 in sharp 0.35's prebuilt binaries) decodes: HEIC is not among them (no HEVC decoder), AVIF is. */
const imageTypes = ["image/jpeg", "image/png", "image/webp", "image/gif", "image/avif"] as const;

/**
 * Voice: AMR-NB/WB (the seed's AmrToMp3), AAC/M4A (iOS), MP3, Ogg/Opus and WebM/Opus (Android, browsers), WAV,
 * 3GP (Android's AMR container). MP4 and WebM containers are read for their audio track only (`-vn`).
 */
const voiceTypes = [
  "audio/amr",
  "audio/mp4",
  "audio/x-m4a",
  "audio/aac",
  "audio/mpeg",
  "audio/ogg",
  "audio/ogg; codecs=opus",
  "audio/wav",
  "audio/webm",
  "video/webm",
  "video/mp4",
  "video/3gpp",
] as const;

/** Video: MP4 (and its M4V variant), QuickTime MOV, WebM — what phones record and browsers play; kept as uploaded. */
const videoTypes = ["video/mp4", "video/x-m4v", "video/quicktime", "video/webm"] as const;

/**
 * The allow-list of sniffed MIME types per upload kind (issue 11 §1 "checked against an allow-list per kind"):
 * image and avatar → JPEG, PNG, WebP, GIF, AVIF; voice → the audio formats above; video → MP4/MOV/WebM;
 * file → "any": like the seed's UploadServlet, a file message may carry any bytes (executables included), they
 * are stored as is and served as downloads with their sniffed type (`application/octet-stream` when unknown).
 */
export function allowedTypes(kind: UploadKind): readonly string[] | "any" {
  switch (kind) {
    case "image":
    case "avatar":
      return imageTypes;
    case "voice":
      return voiceTypes;
    case "video":
      return videoTypes;
    case "file":
      return "any";
  }
}

/** True when `sniffed` (undefined = unknown bytes) is allowed for `kind`. */
export function isAllowedType(kind: UploadKind, sniffed: SniffedType | undefined): boolean {
  const allowed = allowedTypes(kind);
  if (allowed === "any") return true;
  return sniffed !== undefined && allowed.includes(sniffed.mime);
}
