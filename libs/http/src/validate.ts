import { AppError, type FieldIssue } from "@im/protocol";
import type { z } from "zod";

/** Parses one part of a request (params, query or body) or fails with 400 naming each bad field. */
export function parseInput<S extends z.ZodType>(part: "params" | "query" | "body", schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const issues: FieldIssue[] = result.error.issues.map((issue) => ({
    field: [part, ...issue.path.map(String)].join("."),
    message: issue.message,
  }));
  throw new AppError("VALIDATION_FAILED", { issues });
}
