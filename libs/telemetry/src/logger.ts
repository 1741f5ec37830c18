import { trace } from "@opentelemetry/api";
import { type Logger, type LoggerOptions, pino } from "pino";

export type { Logger } from "pino";

export interface LoggerSettings {
  name: string;
  level: string;
  /** Pretty output is for people; JSON lines are the default. */
  destination?: NodeJS.WritableStream;
}

/** A pino JSON logger that adds the active trace and span ids to every line. */
export function createLogger(settings: LoggerSettings): Logger {
  const options: LoggerOptions = {
    name: settings.name,
    level: settings.level,
    base: { app: settings.name },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: ["req.headers.authorization", "password", "*.password", "oldPassword", "newPassword", "code", "*.code"],
      censor: "***",
    },
    mixin() {
      const span = trace.getActiveSpan();
      if (!span) return {};
      const context = span.spanContext();
      return { traceId: context.traceId, spanId: context.spanId };
    },
  };
  return settings.destination ? pino(options, settings.destination) : pino(options);
}
