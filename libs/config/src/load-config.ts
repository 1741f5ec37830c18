import { z } from "zod";

/** Thrown when a setting is missing or invalid; the message names every bad setting. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

export interface LoadOptions {
  /** Environment variables starting with one of these prefixes must be known settings (catches typos). */
  ownPrefixes?: string[];
}

/**
 * Parses settings from environment variables with one zod object schema whose keys are the variable
 * names. Empty values count as unset, so defaults apply.
 */
export function loadConfig<S extends z.ZodObject>(schema: S, env: NodeJS.ProcessEnv = process.env, options: LoadOptions = {}): z.output<S> {
  const keys = Object.keys(schema.shape);
  const input: Record<string, string> = {};
  for (const key of keys) {
    const value = env[key];
    if (value !== undefined && value !== "") input[key] = value;
  }
  const problems: string[] = [];
  for (const name of Object.keys(env)) {
    if (options.ownPrefixes?.some((prefix) => name.startsWith(prefix)) && !keys.includes(name)) {
      problems.push(`${name}: unknown setting`);
    }
  }
  const result = schema.safeParse(input);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const name = issue.path.join(".") || "(config)";
      const given = issue.path.length > 0 ? input[String(issue.path[0])] : undefined;
      problems.push(`${name}: ${issue.message}${given === undefined ? " (not set)" : ""}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return (result as { data: z.output<S> }).data;
}

/** One line per setting: name, default and description, for `--print-config` and the README. */
export function describeConfig(schema: z.ZodObject): string[] {
  const json = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as {
    properties?: Record<string, { description?: string; default?: unknown }>;
    required?: string[];
  };
  const required = new Set(json.required ?? []);
  return Object.entries(json.properties ?? {}).map(([name, property]) => {
    const unset = required.has(name) ? "(required)" : "(unset)";
    const fallback = property.default === undefined ? unset : JSON.stringify(property.default);
    return `${name}=${fallback}  # ${property.description ?? ""}`;
  });
}

/** Redacts secrets (passwords in URLs, keys named *SECRET*, *PASSWORD*, *KEY*) for printing. */
export function redactConfig(config: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(config).map(([key, value]) => {
      if (/SECRET|PASSWORD|_KEY$|TOKEN/i.test(key) && value) return [key, "***"];
      if (typeof value === "string") return [key, value.replace(/\/\/([^:/@]+):([^@]+)@/, "//$1:***@")];
      return [key, value];
    }),
  );
}
