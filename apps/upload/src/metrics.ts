import type { UploadKind } from "@im/data";
import { storageErrorCounter } from "@im/media";
import { Counter, Histogram, type Registry } from "@im/telemetry";

/** Outcome of one upload attempt (`im_uploads_total`). */
export type UploadOutcome = "stored" | "deduplicated" | "refused" | "failed";
/** Which bytes a download asked for. */
export type DownloadVariant = "original" | "thumb" | "avatar";
/** How a download ended. */
export type DownloadOutcome = "redirect" | "proxied" | "denied" | "not_found";

/**
 * The upload app's metrics (names fixed by the issue-11 contract; the ops dashboards and alerts read them):
 * `im_uploads_total{kind,outcome}`, `im_upload_bytes_total{kind}` (bytes received of stored uploads),
 * `im_media_processing_seconds{step}`, `im_storage_errors_total{operation}` (counted by the storage),
 * `im_media_downloads_total{variant,outcome}`.
 */
export interface UploadMetrics {
  uploads: Counter<"kind" | "outcome">;
  bytes: Counter<"kind">;
  processing: Histogram<"step">;
  storageErrors: Counter<"operation">;
  downloads: Counter<"variant" | "outcome">;
}

const kinds: UploadKind[] = ["image", "voice", "video", "file", "avatar"];
const steps = ["thumbnail", "avatar", "transcode", "poster", "probe", "normalize"];

/** Registers the metrics on `registry`, every label set at 0 so dashboards see series before the first upload. */
export function createUploadMetrics(registry: Registry): UploadMetrics {
  const metrics: UploadMetrics = {
    uploads: new Counter({
      name: "im_uploads_total",
      help: "Upload attempts by kind and outcome (stored, deduplicated, refused: the client's fault, failed: ours)",
      labelNames: ["kind", "outcome"],
      registers: [registry],
    }),
    bytes: new Counter({
      name: "im_upload_bytes_total",
      help: "Bytes received of uploads that were stored or deduplicated, by kind",
      labelNames: ["kind"],
      registers: [registry],
    }),
    processing: new Histogram({
      name: "im_media_processing_seconds",
      help: "Media processing time per step (thumbnail, avatar, transcode, poster, probe, normalize)",
      labelNames: ["step"],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
    storageErrors: storageErrorCounter(registry),
    downloads: new Counter({
      name: "im_media_downloads_total",
      help: "Media downloads by variant (original, thumb, avatar) and outcome (redirect, proxied, denied, not_found)",
      labelNames: ["variant", "outcome"],
      registers: [registry],
    }),
  };
  for (const kind of kinds) {
    metrics.bytes.inc({ kind }, 0);
    for (const outcome of ["stored", "deduplicated", "refused", "failed"]) metrics.uploads.inc({ kind, outcome }, 0);
  }
  for (const step of steps) metrics.processing.zero({ step });
  for (const operation of [
    "put",
    "get",
    "stat",
    "remove",
    "presign",
    "multipart_init",
    "multipart_complete",
    "multipart_abort",
    "multipart_list",
  ]) {
    metrics.storageErrors.inc({ operation }, 0);
  }
  for (const variant of ["original", "thumb", "avatar"]) {
    for (const outcome of ["redirect", "proxied", "denied", "not_found"]) metrics.downloads.inc({ variant, outcome }, 0);
  }
  return metrics;
}
