import { z } from "zod";

/** The largest user id (a signed 32-bit integer, as the seed's MySQL/Mongo ids were). */
export const MAX_USER_ID = 2_147_483_647;

/**
 * A non-negative integer written in plain decimal, as text (a path segment, a query parameter, a form
 * field, a message's `to`): digits only, no sign, no exponent, no fraction, no hex, no spaces and no
 * leading zeros ("0" itself aside), within [min, max]. `1e3`, `0x10`, ` 12`, `12.0`, `+5`, `-1`,
 * `9007199254740993` and "" are all refused, so no id is ever read as another one.
 * Parses to a number; its JSON Schema is `{type: integer, minimum, maximum}`.
 */
export const decimalIntText = (min: number, max: number) =>
  z
    .string()
    .regex(/^(0|[1-9][0-9]{0,15})$/, "must be a plain decimal integer")
    .transform(Number)
    .pipe(z.number().int().min(min).max(max))
    // Documented as what it is: an integer in range (OpenAPI writes path and query integers as plain text).
    .meta({ type: "integer", minimum: min, maximum: max, pattern: undefined });

/** A user id as a JSON number: an integer in 1…MAX_USER_ID. */
export const userIdSchema = z.number().int().min(1).max(MAX_USER_ID);

/** A user id as text (path, query, form field, a 1:1 message's `to`): strict decimal, 1…MAX_USER_ID. */
export const userIdTextSchema = decimalIntText(1, MAX_USER_ID);
