import { setTimeout as sleep } from "node:timers/promises";

/**
 * Counts the socket events whose acknowledgement is still owed (a send being stored, a sync being read), so a
 * graceful shutdown can let them finish before it closes Redis and MongoDB. Mounted on every socket with
 * `socket.use(inFlight.track)`; it wraps the event's ack callback, which the handlers always call (connection.ts).
 * Events without an ack are not counted.
 */
export class InFlightEvents {
  private owed = 0;

  /** Socket.IO socket middleware: counts the packet when its last argument is an ack callback. */
  readonly track = (packet: unknown[], next: (error?: Error) => void): void => {
    const last = packet.length - 1;
    const ack = packet[last];
    if (last > 0 && typeof ack === "function") {
      this.owed++;
      let settled = false;
      packet[last] = (...args: unknown[]) => {
        if (!settled) {
          settled = true;
          this.owed--;
        }
        return ack(...args);
      };
    }
    next();
  };

  /** Acknowledgements still owed. */
  get size(): number {
    return this.owed;
  }

  /** Resolves true once no acknowledgement is owed, or false after `timeoutMs` (ms). */
  async drained(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.owed > 0) {
      if (Date.now() >= deadline) return false;
      await sleep(10);
    }
    return true;
  }
}
