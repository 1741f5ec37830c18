import type { Logger } from "@im/telemetry";

/** One step of a graceful shutdown. */
export interface ShutdownStep {
  /** Named in the log when the step fails. */
  readonly name: string;
  run(): unknown;
}

/**
 * Builds a process's `close()`: runs the steps one after another, in the order given, each awaited.
 * A step that throws is logged and the next one still runs (stores are closed even when draining failed).
 * Calling close() again returns the first call's promise. The order every app follows (issue 10 item h):
 * readiness false and stop accepting; drain in-flight work (sockets, requests, jobs) and write what it
 * leaves (presence); only then close the adapter, Redis and MongoDB.
 */
export function orderedClose(steps: readonly ShutdownStep[], logger?: Pick<Logger, "warn">): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () => {
    closing ??= (async () => {
      for (const step of steps) {
        try {
          await step.run();
        } catch (error) {
          logger?.warn({ err: error, step: step.name }, "shutdown step failed");
        }
      }
    })();
    return closing;
  };
}
