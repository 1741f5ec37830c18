import { z } from "zod";

/** A boolean read from an environment variable: true/false, 1/0, yes/no, on/off. */
export const envBoolean = (defaultValue: boolean) =>
  z
    .union([z.boolean(), z.enum(["true", "false", "1", "0", "yes", "no", "on", "off"])])
    .default(defaultValue)
    .transform((value) => value === true || value === "true" || value === "1" || value === "yes" || value === "on");

/** A whole number read from an environment variable, with bounds. */
export const envInt = (defaultValue: number, min: number, max: number) => z.coerce.number().int().min(min).max(max).default(defaultValue);

/** A comma-separated list read from an environment variable. */
export const envList = (defaultValue: readonly string[]) =>
  z
    .union([z.array(z.string()), z.string()])
    .default([...defaultValue])
    .transform((value) => (Array.isArray(value) ? value : value.split(",")).map((item) => item.trim()).filter((item) => item.length > 0));
