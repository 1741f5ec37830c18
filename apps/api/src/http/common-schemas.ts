import { decimalIntText, isWellFormed, userIdSchema, userIdTextSchema } from "@im/protocol";
import { z } from "zod";

/** A platform user id in a path, e.g. /v1/users/:userId: plain decimal only (1e3, 0x10, +5 are 400). */
export const userIdParams = z.object({
  userId: userIdTextSchema.describe("User id"),
});

/** Page-based paging (the seed's pageIndex/pageSize), first page 0; `?page=` (empty) is 400, not page 0. */
export const pageQuery = z.object({
  page: decimalIntText(0, 10_000).optional().default(0).describe("Page number, from 0"),
  pageSize: decimalIntText(1, 100).optional().default(20).describe("Items per page, 1–100"),
});
export type PageQuery = z.output<typeof pageQuery>;

/** The envelope of every paged list. */
export const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({
    items: z.array(item),
    page: z.number().int(),
    pageSize: z.number().int(),
    hasMore: z.boolean().describe("True when a further page exists"),
  });

/** Runs a paged query fetching one extra item to learn whether more exist. */
export async function paged<T>(query: PageQuery, fetch: (skip: number, limit: number) => Promise<T[]>) {
  const rows = await fetch(query.page * query.pageSize, query.pageSize + 1);
  return { items: rows.slice(0, query.pageSize), page: query.page, pageSize: query.pageSize, hasMore: rows.length > query.pageSize };
}

/** No C0 control other than tab, line feed and carriage return, and no DEL (a JSON Schema pattern too). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the pattern exists to refuse control characters
const NO_CONTROLS = /^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*$/;
/** No control character at all: one line. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the pattern exists to refuse control characters
const ONE_LINE = /^[^\u0000-\u001F\u007F]*$/;

/**
 * Trimmed text without control characters, at most `max` UTF-16 units after trimming, well-formed Unicode
 * (no lone surrogate: returned by history and sync exactly as sent).
 */
export const text = (max: number) =>
  z
    .string()
    .trim()
    .max(max)
    .regex(NO_CONTROLS, "must not contain control characters")
    .refine(isWellFormed, "must be well-formed Unicode (no lone surrogate)");

/** One line of text (names): like `text` but without tabs or line breaks. */
export const line = (max: number) =>
  z
    .string()
    .trim()
    .max(max)
    .regex(ONE_LINE, "must be a single line without control characters")
    .refine(isWellFormed, "must be well-formed Unicode (no lone surrogate)");

/** Like `text`, but something other than whitespace must remain (the document says so: minLength 1, pattern \S). */
export const nonEmptyText = (max: number) => text(max).min(1, "must not be empty").regex(/\S/, "must not be empty");

/** Like `line`, but something other than whitespace must remain. */
export const nonEmptyLine = (max: number) => line(max).min(1, "must not be empty").regex(/\S/, "must not be empty");

/** A list of user ids without repeats (documented as uniqueItems), at most `max`. */
export const uniqueUserIds = (max: number) =>
  z
    .array(userIdSchema)
    .max(max)
    .refine((ids) => new Set(ids).size === ids.length, "must not repeat a userId")
    .meta({ uniqueItems: true });

/** A patch object: at least one field (documented as minProperties 1). */
export const atLeastOneField = <T extends z.ZodObject>(schema: T, message = "give at least one field") =>
  schema
    .partial()
    .refine((value) => Object.keys(value).length > 0, message)
    .meta({ minProperties: 1 });

/** Days records are kept: -1 forever or 1–3650 (0 is refused, as the seed did; documented as `not: {const: 0}`). */
export const retentionDays = z
  .number()
  .int()
  .min(-1)
  .max(3650)
  .refine((v) => v !== 0, "use -1 for forever or 1–3650 days")
  .meta({ not: { const: 0 } });

/** International area code without "+", e.g. 86. */
export const areaCode = z
  .string()
  .regex(/^[1-9][0-9]{0,3}$/, "must be 1–4 digits, e.g. 86")
  .describe("Country calling code without +");
/** A national phone number, digits only. */
export const phoneNumber = z
  .string()
  .regex(/^[0-9]{5,15}$/, "must be 5–15 digits")
  .describe("Phone number without the area code");
/** A password as the client sends it (the seed's clients send MD5(password)); stored only as a scrypt hash. */
export const password = z.string().min(6, "must be at least 6 characters").max(128, "must be at most 128 characters");
