import type { Collection, Document } from "mongodb";

export type InsertOutcome = "inserted" | "duplicate";

interface Pending<T> {
  doc: T;
  resolve(outcome: InsertOutcome): void;
  reject(error: unknown): void;
}

export interface BatcherOptions {
  /** Most documents in one insertMany. 1 turns batching off. @default 128 */
  maxBatch?: number;
  /** insertMany calls running at once per collection; further documents wait and go together. @default 4 */
  maxInFlight?: number;
  /** Called after every insertMany (stored, refused or failed) with its size and duration, e.g. for metrics. */
  onWrite?: (batchSize: number, seconds: number) => void;
}

interface WriteError {
  index: number;
  code?: number;
}

/** The per-document errors of an unordered insertMany, whichever shape the driver gave them. */
function writeErrorsOf(error: unknown): WriteError[] | undefined {
  const raw = (error as { writeErrors?: unknown } | null)?.writeErrors;
  if (raw === undefined) return undefined;
  const list = Array.isArray(raw) ? raw : [raw];
  return list.map((entry) => {
    const e = entry as { index?: number; code?: number; err?: { index?: number; code?: number } };
    return { index: e.index ?? e.err?.index ?? -1, code: e.code ?? e.err?.code };
  });
}

/**
 * Batches inserts into one collection without adding latency: a document is written at once while fewer
 * than `maxInFlight` writes are running; otherwise it waits and goes with the others that arrived meanwhile,
 * in one unordered insertMany. Each caller's promise settles only when its document is stored (or refused),
 * so the receipt rule holds. A duplicate key is an outcome, not an error.
 */
export class InsertBatcher<T extends Document> {
  private queue: Array<Pending<T>> = [];
  private inFlight = 0;
  private readonly maxBatch: number;
  private readonly maxInFlight: number;
  private readonly onWrite: BatcherOptions["onWrite"];

  constructor(
    private readonly collection: Collection<T>,
    options: BatcherOptions = {},
  ) {
    this.maxBatch = Math.max(1, options.maxBatch ?? 128);
    this.maxInFlight = Math.max(1, options.maxInFlight ?? 4);
    this.onWrite = options.onWrite;
  }

  insert(doc: T): Promise<InsertOutcome> {
    return new Promise((resolve, reject) => {
      this.queue.push({ doc, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      this.inFlight += 1;
      const started = performance.now();
      void this.write(batch).finally(() => {
        this.inFlight -= 1;
        this.onWrite?.(batch.length, (performance.now() - started) / 1000);
        this.pump();
      });
    }
  }

  private async write(batch: Array<Pending<T>>): Promise<void> {
    // The driver adds _id to the documents it inserts; callers get their own objects back untouched.
    const docs = batch.map((p) => ({ ...p.doc }));
    try {
      await this.collection.insertMany(docs as never[], { ordered: false });
      for (const p of batch) p.resolve("inserted");
    } catch (error) {
      const errors = writeErrorsOf(error);
      if (!errors) {
        for (const p of batch) p.reject(error);
        return;
      }
      const byIndex = new Map(errors.map((e) => [e.index, e]));
      batch.forEach((p, index) => {
        const failed = byIndex.get(index);
        if (!failed) p.resolve("inserted");
        else if (failed.code === 11000) p.resolve("duplicate");
        else p.reject(Object.assign(new Error(`insert failed with code ${failed.code}`), { cause: error }));
      });
    }
  }
}
