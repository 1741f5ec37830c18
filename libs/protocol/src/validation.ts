import type { z } from "zod";
import { AppError, type FieldIssue } from "./errors/app-error.js";

/**
 * The catalogue's field issues of a zod error: one per problem, named by its dotted path (or by `field`
 * when the problem is with the value as a whole).
 */
export function zodIssues(error: z.ZodError, field: string): FieldIssue[] {
  return error.issues.map((issue) => ({
    field: [field, ...issue.path.map(String)].filter((part) => part.length > 0).join(".") || field,
    message: issue.message,
  }));
}

/**
 * Parses an external input (a socket event's payload, a request part) with its one schema and returns the
 * schema's output. `field` prefixes the issue paths (e.g. `body`); leave it empty for a whole event
 * payload, whose issues are then named by their own paths (`content`, `cursors.g_1`), or by `fallback`.
 * @throws AppError VALIDATION_FAILED with one issue per problem.
 */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, field = "", fallback = "payload"): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = zodIssues(parsed.error, field).map((issue) => (issue.field === "" ? { ...issue, field: fallback } : issue));
  throw new AppError("VALIDATION_FAILED", { issues });
}

/** A lone UTF-16 surrogate: with the `u` flag, a paired surrogate is one code point and does not match. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/**
 * True when a string is well-formed Unicode (no lone surrogate), i.e. it survives UTF-8 storage and comes
 * back from history and sync exactly as sent (a lone surrogate would come back as U+FFFD).
 */
export function isWellFormed(value: string): boolean {
  return !LONE_SURROGATE.test(value);
}

/** The UTF-8 length of a string in bytes (a lone surrogate counts 3, as U+FFFD), without encoding it. */
export function utf8ByteLength(value: string): number {
  let bytes = 0;
  for (let i = 0; i < value.length; i++) {
    const unit = value.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < value.length) {
      const next = value.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i += 1;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}
