import { type BackoffPolicy, backoffDelay, defaultBackoff } from "./backoff.js";
import { type ReconcileResult, Requeue } from "./requeue.js";

export type Outcome = "success" | "requeue" | "error";

export interface WorkQueueOptions {
  concurrency?: number;
  backoff?: BackoffPolicy;
  /** Called after each processing of a key (metrics, logs). */
  onProcessed?: (key: string, outcome: Outcome, seconds: number, error?: unknown) => void;
  /** Injectable for tests. */
  setTimer?: (fn: () => void, ms: number) => { cancel(): void };
}

const realTimer = (fn: () => void, ms: number) => {
  const handle = setTimeout(fn, ms);
  handle.unref?.();
  return { cancel: () => clearTimeout(handle) };
};

/**
 * A per-object work queue in the manner of client-go's rate-limited workqueue: a key is queued at most
 * once, never processed by two workers at once (an add while it is processed runs it again afterwards),
 * failures back off exponentially per key, success forgets the key's failures, and a Requeue result
 * re-adds the key after its delay. shutDown() stops taking keys and waits for the ones in flight.
 */
export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, { cancel(): void }>();
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;
  private running = 0;
  private readonly concurrency: number;
  private readonly backoff: BackoffPolicy;
  private readonly setTimer: NonNullable<WorkQueueOptions["setTimer"]>;

  constructor(
    private readonly worker: (key: string) => Promise<ReconcileResult>,
    private readonly options: WorkQueueOptions = {},
  ) {
    this.concurrency = options.concurrency ?? 2;
    this.backoff = options.backoff ?? defaultBackoff;
    this.setTimer = options.setTimer ?? realTimer;
  }

  /** Keys waiting (not counting those being processed). */
  get depth(): number {
    return this.queue.length;
  }

  failuresOf(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  add(key: string): void {
    if (this.stopped) return;
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.queue.push(key);
    this.pump();
  }

  /** Adds the key after `ms`; an earlier pending delayed add of the same key is replaced. */
  addAfter(key: string, ms: number): void {
    if (this.stopped) return;
    this.timers.get(key)?.cancel();
    if (ms <= 0) {
      this.timers.delete(key);
      this.add(key);
      return;
    }
    this.timers.set(
      key,
      this.setTimer(() => {
        this.timers.delete(key);
        this.add(key);
      }, ms),
    );
  }

  private pump(): void {
    while (!this.stopped && this.running < this.concurrency && this.queue.length > 0) {
      const key = this.queue.shift() as string;
      this.queued.delete(key);
      this.processing.add(key);
      this.running++;
      const task = this.process(key).finally(() => {
        this.inFlight.delete(task);
        this.running--;
        this.processing.delete(key);
        if (this.dirty.delete(key)) this.add(key);
        this.pump();
      });
      this.inFlight.add(task);
    }
  }

  private async process(key: string): Promise<void> {
    const started = performance.now();
    let outcome: Outcome;
    let failure: unknown;
    try {
      const result = await this.worker(key);
      if (result instanceof Requeue) {
        outcome = "requeue";
        this.failures.delete(key);
        this.addAfter(key, result.afterMs);
      } else {
        outcome = "success";
        this.failures.delete(key);
      }
    } catch (error) {
      outcome = "error";
      failure = error;
      const count = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, count);
      this.addAfter(key, backoffDelay(count, this.backoff));
    }
    this.options.onProcessed?.(key, outcome, (performance.now() - started) / 1000, failure);
  }

  /** Stops taking keys, cancels delayed adds and waits for the keys being processed. */
  async shutDown(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers.values()) timer.cancel();
    this.timers.clear();
    this.queue.length = 0;
    this.queued.clear();
    await Promise.all([...this.inFlight]);
  }
}
