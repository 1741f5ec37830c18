import { pipeline } from "node:stream/promises";
import { contentDisposition, type ObjectStorage } from "@im/media";
import type { Request, Response } from "express";
import type { UploadDeps } from "./context.js";
import type { DownloadVariant } from "./metrics.js";

/** One object to serve: its key, type, size (bytes) and the name offered for saving. */
export interface Servable {
  key: string;
  contentType: string;
  /** Bytes, when known (else stat'ed when proxied). */
  size?: number;
  /** Display name for Content-Disposition; absent = none. */
  filename?: string;
  /** attachment for files (never rendered by the browser), inline for pictures, voice and video. */
  disposition: "inline" | "attachment";
}

/** A parsed `Range` header: one byte range, or "unsatisfiable", or undefined (serve everything). */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | "unsatisfiable" | undefined {
  if (!header) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) return undefined; // several ranges or another unit: serve the whole (RFC 9110 allows ignoring Range)
  const [, from, to] = match;
  if (from === "" && to === "") return undefined;
  if (from === "") {
    const suffix = Number(to);
    if (suffix === 0 || size === 0) return "unsatisfiable";
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(from);
  const end = to === "" ? size - 1 : Math.min(Number(to), size - 1);
  if (start >= size || (to !== "" && Number(to) < start)) return "unsatisfiable";
  return { start, end };
}

/** True when this request should be proxied: UPLOAD_DOWNLOAD_MODE=proxy, or `?proxy=1`. */
export function wantsProxy(deps: UploadDeps, req: Request): boolean {
  return deps.config.UPLOAD_DOWNLOAD_MODE === "proxy" || req.query.proxy === "1" || req.query.proxy === "true";
}

/**
 * Answers a download of an object the caller may see: a 302 to a presigned GET signed for the storage's
 * public host (short TTL), or the bytes through the app with Range support (200/206/416). Counts
 * `im_media_downloads_total{variant,outcome}`. Responses are private and not stored by shared caches.
 */
export async function serveObject(
  deps: UploadDeps,
  req: Request,
  res: Response,
  object: Servable,
  variant: DownloadVariant,
): Promise<void> {
  res.setHeader("cache-control", "private, no-store");
  if (!wantsProxy(deps, req)) {
    const url = await deps.storage.presignGet(object.key, deps.config.UPLOAD_PRESIGN_TTL_SECONDS, {
      contentType: object.contentType,
      ...(object.filename ? { filename: object.filename } : {}),
    });
    deps.metrics.downloads.inc({ variant, outcome: "redirect" });
    res.redirect(302, url);
    return;
  }
  await proxyObject(deps.storage, req, res, object);
  deps.metrics.downloads.inc({ variant, outcome: "proxied" });
}

async function proxyObject(storage: ObjectStorage, req: Request, res: Response, object: Servable): Promise<void> {
  const size = object.size ?? (await storage.statObject(object.key))?.size ?? 0;
  const range = parseRange(req.get("range"), size);
  res.setHeader("accept-ranges", "bytes");
  res.setHeader("x-content-type-options", "nosniff");
  if (range === "unsatisfiable") {
    res.status(416).setHeader("content-range", `bytes */${size}`).end();
    return;
  }
  res.setHeader("content-type", object.contentType);
  res.setHeader("content-disposition", object.filename ? contentDisposition(object.filename, object.disposition) : object.disposition);
  if (range) {
    res.status(206);
    res.setHeader("content-range", `bytes ${range.start}-${range.end}/${size}`);
    res.setHeader("content-length", String(range.end - range.start + 1));
  } else {
    res.status(200);
    res.setHeader("content-length", String(size));
  }
  if (req.method === "HEAD") {
    res.end();
    return;
  }
  const body = await storage.getObject(object.key, range ?? undefined);
  try {
    await pipeline(body, res);
  } catch {
    // The client went away mid-download (or the storage stream broke): nothing more can be sent.
    body.destroy();
  }
}
