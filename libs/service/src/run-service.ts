import { ConfigError, describeConfig, redactConfig } from "@im/config";
import { createLogger, type Logger, startTracing } from "@im/telemetry";
import type { z } from "zod";

/** Exit code of a bad configuration (sysexits.h EX_CONFIG): settings, or a shard layout that disagrees with the database. */
export const EXIT_CONFIG = 78;

/**
 * Errors thrown by `start` that mean "the configuration is wrong", matched by name so the kit imports no
 * app library before tracing starts: ConfigError (@im/config), ShardLayoutError (@im/messaging).
 */
const configErrorNames = new Set(["ConfigError", "ShardLayoutError"]);

/** What a started service gives the kit. */
export interface RunningService {
  /** Graceful, ordered stop (see orderedClose); resolves when every step ran. */
  close(): Promise<void>;
  /** Resolves when the service must stop on its own (the operator losing its lease), with why and the exit code. */
  readonly stopped?: Promise<{ reason: string; exitCode: number }>;
}

/** One app or the operator, as the kit runs it. */
export interface ServiceDefinition<S extends z.ZodObject, C extends { LOG_LEVEL: string }> {
  /** Short name used in messages and logs ("api"); the trace service name is `im-<name>`. */
  name: string;
  /** The zod schema of every setting (what --describe-config lists). */
  configSchema: S;
  /** Reads and validates the settings; throws ConfigError naming every bad one. */
  loadConfig(env: NodeJS.ProcessEnv): C;
  /** OTLP/HTTP traces endpoint, when the service exports traces. */
  tracesEndpoint?(config: C): string | undefined;
  /** Starts the service. Import the app's modules inside it (`await import("./server.js")`), so tracing is on before they load. */
  start(config: C, context: { logger: Logger }): Promise<RunningService>;
  /** Longest a graceful shutdown may take before the process exits with 1 anyway (ms); default 25 s, under Kubernetes' 30 s grace period. */
  shutdownDeadlineMs?: number;
}

/** Where runService reads its input and sends its output (tests pass their own). */
export interface RunEnvironment {
  argv: readonly string[];
  env: NodeJS.ProcessEnv;
  out(line: string): void;
  err(line: string): void;
  exit(code: number): void;
  /** Emits SIGTERM and SIGINT. */
  signals: Pick<NodeJS.EventEmitter, "once">;
}

const processEnvironment = (): RunEnvironment => ({
  argv: process.argv.slice(2),
  env: process.env,
  out: (line) => console.log(line),
  err: (line) => console.error(line),
  exit: (code) => process.exit(code),
  signals: process,
});

/**
 * The start-up of every process: `node <entry> [--check-config | --print-config | --describe-config]`.
 * --describe-config lists every setting with its default and meaning; --check-config validates the
 * environment; --print-config prints the effective settings with secrets redacted. A bad setting (or a
 * ShardLayoutError at start) exits with 78 and names every problem; any other start failure exits with 1.
 * Otherwise: tracing starts, then the app is started (and its modules loaded) by `start`; on SIGTERM or
 * SIGINT its close() runs within the shutdown deadline, tracing is flushed and the process exits with 0
 * (1 when the deadline passed or close failed; a second signal exits at once with 1).
 */
export async function runService<S extends z.ZodObject, C extends { LOG_LEVEL: string }>(
  definition: ServiceDefinition<S, C>,
  io: RunEnvironment = processEnvironment(),
): Promise<void> {
  const { name } = definition;
  const args = new Set(io.argv);
  if (args.has("--describe-config")) {
    io.out(describeConfig(definition.configSchema).join("\n"));
    return;
  }
  let config: C;
  try {
    config = definition.loadConfig(io.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      io.err(`${name}: ${error.message}`);
      return io.exit(EXIT_CONFIG);
    }
    throw error;
  }
  if (args.has("--check-config")) {
    io.out(`${name}: configuration is valid`);
    return;
  }
  if (args.has("--print-config")) {
    io.out(JSON.stringify(redactConfig(config), null, 2));
    return;
  }

  const tracing = startTracing({ serviceName: `im-${name}`, otlpEndpoint: definition.tracesEndpoint?.(config) });
  const logger = createLogger({ name, level: config.LOG_LEVEL });
  let service: RunningService;
  try {
    service = await definition.start(config, { logger });
  } catch (error) {
    const isConfig = error instanceof Error && configErrorNames.has(error.name);
    io.err(`${name}: ${isConfig ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    await tracing.shutdown().catch(() => undefined);
    return io.exit(isConfig ? EXIT_CONFIG : 1);
  }

  let stopping = false;
  const stop = async (reason: string, exitCode: number) => {
    if (stopping) {
      logger.warn({ reason }, "stopping at once");
      return io.exit(1);
    }
    stopping = true;
    logger.info({ reason }, "shutting down");
    const deadlineMs = definition.shutdownDeadlineMs ?? 25_000;
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<"expired">((resolve) => {
      timer = setTimeout(() => resolve("expired"), deadlineMs);
      timer.unref();
    });
    const outcome = await Promise.race([
      service.close().then(
        () => "closed" as const,
        (error: unknown) => error,
      ),
      expired,
    ]);
    clearTimeout(timer);
    if (outcome === "expired") logger.error({ deadlineMs }, "graceful shutdown did not finish in time");
    else if (outcome !== "closed") logger.error({ err: outcome }, "graceful shutdown failed");
    await tracing.shutdown().catch(() => undefined);
    io.exit(outcome === "closed" ? exitCode : 1);
  };
  const onSignal = (signal: string) => () => {
    void stop(signal, 0);
    io.signals.once(signal, onSignal(signal));
  };
  io.signals.once("SIGTERM", onSignal("SIGTERM"));
  io.signals.once("SIGINT", onSignal("SIGINT"));
  // A service that stops on its own while a signal's shutdown already runs lets that shutdown finish.
  void service.stopped?.then(({ reason, exitCode }) => (stopping ? undefined : stop(reason, exitCode)));
}
