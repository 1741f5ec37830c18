import { isWellFormed } from "@im/protocol";
import { z } from "zod";

/** A platform user id in a path, e.g. /v1/users/:userId. */
export const userIdParams = z.object({
  userId: z.coerce.number().int().min(1).max(2_147_483_647).describe("User id"),
});

/** Page-based paging (the seed's pageIndex/pageSize), first page 0. */
export const pageQuery = z.object({
  page: z.coerce.number().int().min(0).max(10_000).default(0).describe("Page number, from 0"),
  pageSize: z.coerce.number().int().min(1).max(100).default(20).describe("Items per page, 1–100"),
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

/** C0 controls other than tab, line feed and carriage return, and DEL. */
const isControl = (char: string) => {
  const code = char.charCodeAt(0);
  return (code < 0x20 && char !== "\t" && char !== "\n" && char !== "\r") || code === 0x7f;
};

/** Trimmed text without control characters, bounded, well-formed Unicode (returned by sync exactly as sent). */
export const text = (max: number) =>
  z
    .string()
    .trim()
    .max(max)
    .refine((value) => ![...value].some(isControl), "must not contain control characters")
    .refine(isWellFormed, "must be well-formed Unicode (no lone surrogate)");

/** One line of text (names): like `text` but without tabs or line breaks. */
export const line = (max: number) => text(max).refine((value) => !/[\t\n\r]/.test(value), "must be a single line");

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
