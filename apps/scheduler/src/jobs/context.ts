import type { Models } from "@im/data";
import type { Redis } from "@im/infra";
import type { MessageShards } from "@im/messaging";
import type { Logger } from "@im/telemetry";
import type { Db } from "mongodb";

/** What a job's run may use. */
export interface JobContext {
  redis: Redis;
  db: Db;
  models: Models;
  shards: MessageShards;
  logger: Logger;
  /**
   * Called after each step of durable work (a document stored, a batch deleted). Tests throw from it to
   * simulate a crash part-way through a run.
   */
  checkpoint?: (job: string, step: string) => void | Promise<void>;
}

/** One periodic job: its name, its period and what one run of a bucket does. */
export interface JobSpec {
  name: string;
  periodSeconds: number;
  run(context: JobContext, bucket: number): Promise<void>;
}
