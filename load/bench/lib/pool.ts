// Client processes of the benchmarks (client-worker.ts), driven over IPC.
import { type ChildProcess, fork } from "node:child_process";

export interface ClientSpec {
  url: string;
  userId: number;
  /** Gateway: the access token (handshake auth). Relay: none. */
  token?: string;
  /** Handshake query (the relay reads `userId` and `rooms` from it). */
  query?: Record<string, string>;
}

export type WorkerRequest =
  | { type: "open"; clients: ClientSpec[]; sdk: boolean; reconnection: boolean; concurrency: number; timeoutMs: number }
  | { type: "mark" }
  | { type: "status" }
  | { type: "received" }
  | { type: "disconnect" }
  | { type: "exit" };

export interface WorkerStatus {
  type: "status";
  held: number;
  connected: number;
  readySinceMark: number;
  lastReadyAt: number;
  deliveries: number;
  messagesSinceMark: number;
  lastMessageAt: number;
}

export type WorkerReply =
  | { type: "started" }
  | { type: "opened"; ok: number; failed: number; latencies: number[]; errors: string[] }
  | { type: "marked"; at: number }
  | WorkerStatus
  | { type: "received"; perClient: Array<{ userId: number; ids: Record<string, number> }> }
  | { type: "disconnected" };

class Worker {
  private waiting: Array<(reply: WorkerReply) => void> = [];
  private chain: Promise<unknown> = Promise.resolve();

  constructor(readonly child: ChildProcess) {
    child.on("message", (reply: WorkerReply) => this.waiting.shift()?.(reply));
  }

  /** Sends a request and resolves with its reply; one request at a time per worker. */
  ask<T extends WorkerReply>(request: WorkerRequest): Promise<T> {
    const result = this.chain.then(
      () =>
        new Promise<T>((resolve) => {
          this.waiting.push(resolve as (reply: WorkerReply) => void);
          this.child.send(request);
        }),
    );
    this.chain = result.catch(() => undefined);
    return result;
  }

  waitStarted(): Promise<WorkerReply> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }
}

export class ClientPool {
  private constructor(readonly workers: Worker[]) {}

  static async start(count: number): Promise<ClientPool> {
    const script = new URL("./client-worker.ts", import.meta.url).pathname;
    const workers = Array.from(
      { length: count },
      () =>
        new Worker(
          fork(script, [], {
            execArgv: ["--conditions=development", "--import", "tsx", "--max-old-space-size=4096"],
            stdio: ["ignore", "inherit", "inherit", "ipc"],
          }),
        ),
    );
    await Promise.all(workers.map((w) => w.waitStarted()));
    process.once("exit", () => {
      for (const w of workers) w.child.kill("SIGKILL");
    });
    return new ClientPool(workers);
  }

  get pids(): number[] {
    return this.workers.map((w) => w.child.pid ?? -1);
  }

  /** Opens `clients`, spread round-robin over the workers; handshake latencies of all of them. */
  async open(
    clients: ClientSpec[],
    options: { sdk?: boolean; reconnection?: boolean; concurrency?: number; timeoutMs?: number } = {},
  ): Promise<{ ok: number; failed: number; latencies: number[]; errors: string[] }> {
    const shares = this.workers.map(() => [] as ClientSpec[]);
    for (const [i, c] of clients.entries()) shares[i % shares.length]?.push(c);
    const replies = await Promise.all(
      this.workers.map((w, i) =>
        w.ask<Extract<WorkerReply, { type: "opened" }>>({
          type: "open",
          clients: shares[i] ?? [],
          sdk: options.sdk ?? false,
          reconnection: options.reconnection ?? false,
          concurrency: Math.max(1, Math.ceil((options.concurrency ?? 200) / this.workers.length)),
          timeoutMs: options.timeoutMs ?? 20_000,
        }),
      ),
    );
    return {
      ok: replies.reduce((s, r) => s + r.ok, 0),
      failed: replies.reduce((s, r) => s + r.failed, 0),
      latencies: replies.flatMap((r) => r.latencies),
      errors: replies.flatMap((r) => r.errors),
    };
  }

  async mark(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.ask({ type: "mark" })));
  }

  async status(): Promise<Omit<WorkerStatus, "type">> {
    const all = await Promise.all(this.workers.map((w) => w.ask<WorkerStatus>({ type: "status" })));
    const sum = (k: keyof Omit<WorkerStatus, "type">) => all.reduce((s, r) => s + r[k], 0);
    const max = (k: keyof Omit<WorkerStatus, "type">) => Math.max(0, ...all.map((r) => r[k]));
    return {
      held: sum("held"),
      connected: sum("connected"),
      readySinceMark: sum("readySinceMark"),
      lastReadyAt: max("lastReadyAt"),
      deliveries: sum("deliveries"),
      messagesSinceMark: sum("messagesSinceMark"),
      lastMessageAt: max("lastMessageAt"),
    };
  }

  async received(): Promise<Array<{ userId: number; ids: Record<string, number> }>> {
    const all = await Promise.all(this.workers.map((w) => w.ask<Extract<WorkerReply, { type: "received" }>>({ type: "received" })));
    return all.flatMap((r) => r.perClient);
  }

  async disconnect(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.ask({ type: "disconnect" })));
  }

  async stop(): Promise<void> {
    for (const w of this.workers) {
      w.child.send({ type: "exit" } satisfies WorkerRequest);
    }
    await Promise.all(
      this.workers.map((w) => (w.child.exitCode !== null ? undefined : new Promise((resolve) => w.child.once("exit", resolve)))),
    );
  }
}
