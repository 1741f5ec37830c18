import { parseArgs } from "node:util";
import { z } from "zod";

/** Every flag, with the environment variable that sets it when the flag is absent. */
const flags = {
  api: "LOAD_API",
  gateway: "LOAD_GATEWAY",
  users: "LOAD_USERS",
  "ramp-seconds": "LOAD_RAMP_SECONDS",
  rate: "LOAD_RATE",
  "group-rate": "LOAD_GROUP_RATE",
  "group-size": "LOAD_GROUP_SIZE",
  "duration-seconds": "LOAD_DURATION_SECONDS",
  "drain-seconds": "LOAD_DRAIN_SECONDS",
  out: "LOAD_OUT",
  embedded: "LOAD_EMBEDDED",
  "sms-code-free": "LOAD_SMS_CODE_FREE",
} as const;
type Flag = keyof typeof flags;
const booleans = new Set<Flag>(["embedded", "sms-code-free"]);

const url = z.url({ protocol: /^https?$/ });
const bool = z.union([z.boolean(), z.enum(["true", "false", "1", "0", "yes", "no"]).transform((v) => ["true", "1", "yes"].includes(v))]);

export const optionsSchema = z
  .object({
    api: url.default("http://127.0.0.1:8092"),
    gateways: z
      .string()
      .default("http://127.0.0.1:5280")
      .transform((v) =>
        v
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean),
      )
      .pipe(z.array(url).min(1, "give at least one gateway")),
    users: z.coerce.number().int().min(2).max(100_000).default(100),
    rampSeconds: z.coerce.number().min(0).default(10),
    rate: z.coerce.number().min(0).default(50),
    groupRate: z.coerce.number().min(0).default(5),
    groupSize: z.coerce.number().int().min(2).default(20),
    durationSeconds: z.coerce.number().positive().default(30),
    drainSeconds: z.coerce.number().min(0).default(15),
    out: z.string().min(1).optional(),
    embedded: bool.default(false),
    smsCodeFree: bool.default(false),
  })
  .superRefine((o, ctx) => {
    if (o.groupRate > 0 && o.groupSize > o.users) {
      ctx.addIssue({ code: "custom", path: ["groupSize"], message: `--group-size (${o.groupSize}) must be ≤ --users (${o.users})` });
    }
    if (!o.embedded && !o.smsCodeFree) {
      ctx.addIssue({
        code: "custom",
        path: ["smsCodeFree"],
        message:
          "registering load users on an external stack needs an API started with API_SMS_REQUIRED=false: pass --sms-code-free to confirm it is, or use --embedded",
      });
    }
  })
  .transform((o) => ({ ...o, out: o.out ?? defaultOut(new Date()) }));

export type LoadOptions = z.output<typeof optionsSchema>;

export function defaultOut(now: Date): string {
  return `load/results/run-${now.toISOString().replace(/[:.]/g, "-")}.json`;
}

const camel = (flag: string) => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** Flags win over environment variables, which win over the defaults; throws a readable error on bad input. */
export function parseOptions(argv: string[], env: NodeJS.ProcessEnv = {}): LoadOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: Object.fromEntries(
      (Object.keys(flags) as Flag[]).map((flag) => [flag, { type: booleans.has(flag) ? ("boolean" as const) : ("string" as const) }]),
    ),
  });
  const raw: Record<string, unknown> = {};
  for (const flag of Object.keys(flags) as Flag[]) {
    const value = values[flag] ?? env[flags[flag]];
    if (value === undefined || value === "") continue;
    raw[flag === "gateway" ? "gateways" : camel(flag)] = value;
  }
  const parsed = optionsSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join(".") || "options"}: ${issue.message}`);
    throw new Error(`invalid load options:\n${lines.join("\n")}`);
  }
  return parsed.data;
}

export const usage = `node --conditions=development --import tsx load/runner.ts [options]
  --api URL               API base URL (LOAD_API, default http://127.0.0.1:8092)
  --gateway URL[,URL...]  gateway URL(s), clients spread round-robin (LOAD_GATEWAY, default http://127.0.0.1:5280)
  --users N               connections, one user each (LOAD_USERS, default 100)
  --ramp-seconds S        connect the users evenly over S seconds (LOAD_RAMP_SECONDS, default 10)
  --rate M                1:1 messages per second in total (LOAD_RATE, default 50)
  --group-rate G          group messages per second (LOAD_GROUP_RATE, default 5)
  --group-size K          members of the load-test room, ≤ users (LOAD_GROUP_SIZE, default 20)
  --duration-seconds D    how long the rates are driven (LOAD_DURATION_SECONDS, default 30)
  --drain-seconds S       longest wait for receipts and deliveries after the run (LOAD_DRAIN_SECONDS, default 15)
  --out PATH              JSON result (LOAD_OUT, default load/results/run-<timestamp>.json)
  --embedded              start Redis + FerretDB + API + one gateway here (LOAD_EMBEDDED)
  --sms-code-free         the external API has API_SMS_REQUIRED=false (LOAD_SMS_CODE_FREE)`;
