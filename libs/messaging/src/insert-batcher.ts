import type { Collection, Document } from "mongodb";
import { MongoBulkWriteError } from "mongodb";

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

/**
 * An insert whose outcome is not positively known (the connection dropped, the command failed, or the
 * server's per-document report does not add up): the document may or may not be stored. Retryable: the
 * write is idempotent by its deterministic `_id`, so trying again settles it.
 */
export class InsertOutcomeUnknownError extends Error {
  readonly retryable = true;
  constructor(cause: unknown) {
    super(`insert outcome unknown: ${(cause as Error | undefined)?.message ?? String(cause)}`, { cause });
    this.name = "InsertOutcomeUnknownError";
  }
}

interface WriteError {
  index: number;
  code?: number;
}

/**
 * The per-document outcome of a failed unordered insertMany, only when it is positively known: a bulk
 * write error whose inserted count plus its write errors add up to the batch size, every error naming a
 * distinct index inside the batch. Anything else (network error, command error, empty or inconsistent
 * report) is undefined: the outcome of every document is unknown.
 */
function knownOutcomes(error: unknown, size: number): Map<number, WriteError> | undefined {
  if (!(error instanceof MongoBulkWriteError)) return undefined;
  const raw = error.writeErrors as unknown;
  const list = (Array.isArray(raw) ? raw : raw ? [raw] : []).map((entry) => {
    const e = entry as { index?: number; code?: number; err?: { index?: number; code?: number } };
    return { index: e.index ?? e.err?.index ?? -1, code: e.code ?? e.err?.code };
  });
  if (list.length === 0 || error.insertedCount + list.length !== size) return undefined;
  const byIndex = new Map(list.map((e) => [e.index, e]));
  if (byIndex.size !== list.length || list.some((e) => e.index < 0 || e.index >= size)) return undefined;
  return byIndex;
}

/**
 * Batches inserts into one collection without adding latency: a document is written at once while fewer
 * than `maxInFlight` writes are running; otherwise it waits and goes with the others that arrived meanwhile,
 * in one unordered insertMany. Each caller's promise resolves only when its document is positively stored
 * ("inserted") or positively refused by a unique index ("duplicate"); any other outcome rejects — a
 * per-document error with that error, an unknown outcome with InsertOutcomeUnknownError (retryable) — so
 * the receipt rule holds: no receipt without storage.
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
    let result: { acknowledged: boolean; insertedCount: number };
    try {
      result = await this.collection.insertMany(docs as never[], { ordered: false });
    } catch (error) {
      const byIndex = knownOutcomes(error, batch.length);
      if (!byIndex) {
        const unknown = new InsertOutcomeUnknownError(error);
        for (const p of batch) p.reject(unknown);
        return;
      }
      batch.forEach((p, index) => {
        const failed = byIndex.get(index);
        if (!failed) p.resolve("inserted");
        else if (failed.code === 11000) p.resolve("duplicate");
        else p.reject(Object.assign(new Error(`insert failed with code ${failed.code}`), { cause: error }));
      });
      return;
    }
    if (!result.acknowledged || result.insertedCount !== batch.length) {
      const unknown = new InsertOutcomeUnknownError(
        new Error(`insertMany acknowledged ${result.insertedCount} of ${batch.length} (acknowledged: ${result.acknowledged})`),
      );
      for (const p of batch) p.reject(unknown);
      return;
    }
    for (const p of batch) p.resolve("inserted");
  }
}
