/**
 * Bounded concurrency with a bounded wait, for work that is expensive on the database (sync). At most
 * `concurrency` run at once; a caller that cannot start within `maxWaitMs` is refused (`run` resolves with
 * `refused`) without doing the work. Under a reconnect storm this turns "every sync shares the database
 * and all of them time out" (no progress, clients retry, forever) into "a few run fast, the rest are told
 * to come back": the work the database does is always for a client still waiting for it.
 */
export class Admission {
  private running = 0;
  private readonly waiting: Array<{ start: () => void; timer: NodeJS.Timeout }> = [];

  constructor(
    private readonly concurrency: number,
    private readonly maxWaitMs: number,
  ) {}

  get active(): number {
    return this.running;
  }

  get queued(): number {
    return this.waiting.length;
  }

  async run<T>(work: () => Promise<T>): Promise<{ refused: true } | { refused: false; value: T }> {
    if (this.running >= this.concurrency) {
      const admitted = await new Promise<boolean>((resolve) => {
        const entry = {
          start: () => resolve(true),
          timer: setTimeout(() => {
            this.waiting.splice(this.waiting.indexOf(entry), 1);
            resolve(false);
          }, this.maxWaitMs),
        };
        this.waiting.push(entry);
      });
      if (!admitted) return { refused: true };
    } else {
      this.running++;
    }
    try {
      return { refused: false, value: await work() };
    } finally {
      const next = this.waiting.shift();
      if (next) {
        // The slot passes straight to the next waiter.
        clearTimeout(next.timer);
        next.start();
      } else {
        this.running--;
      }
    }
  }
}
