/**
 * Whether a process should get new work: every named check passes and it is not shutting down.
 * `drain()` is the first step of every graceful shutdown, so a load balancer (Kubernetes readiness
 * probe on /readyz) stops routing to the process before its connections are closed.
 */
export class Readiness {
  private draining = false;

  /** @param checks named checks read at every probe (cheap and synchronous: a client's connection state). */
  constructor(private readonly checks: Readonly<Record<string, () => boolean>> = {}) {}

  /** Readiness goes false for good; called once shutdown starts. */
  drain(): void {
    this.draining = true;
  }

  /** True once shutdown started. */
  get isDraining(): boolean {
    return this.draining;
  }

  /** True when not draining and every check passes. */
  isReady(): boolean {
    return !this.draining && Object.values(this.checks).every((check) => check());
  }
}
