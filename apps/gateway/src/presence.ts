import type { Models } from "@im/data";
import type { Redis } from "@im/infra";

const key = (userId: number) => `im:presence:${userId}`;

/**
 * Presence per user and device: a sorted set of the user's sockets scored by when their record expires.
 * The owning gateway refreshes its sockets' scores; a gateway that dies stops refreshing and its entries
 * lapse, so a crash never leaves a user online for more than the TTL.
 *
 * Redis is the truth. The user document's `onlinestate`/`active` (the seed's fields, read by lists and the
 * admin console) is a copy written only when a user's FIRST device comes online or their LAST goes away —
 * not on every connection — and by one writer per gateway that batches users into one update per state
 * and reads the state from Redis when it writes, so the copy ends as Redis says even when a device leaves
 * on one gateway while another connects elsewhere.
 */
export class Presence {
  private readonly writer: PresenceWriter;
  /** This gateway's devices recorded online and not yet offline, by socket id. */
  private readonly local = new Map<string, { userId: number; resource: string }>();
  /** Presence writes still running (drain() waits for them). */
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly redis: Redis,
    models: Models,
    private readonly gatewayId: string,
    private readonly ttlMs: number,
  ) {
    this.writer = new PresenceWriter(redis, models);
  }

  private member(socketId: string, resource: string) {
    return `${this.gatewayId}|${resource}|${socketId}`;
  }

  private track<T>(write: Promise<T>): Promise<T> {
    this.inFlight.add(write);
    const done = () => this.inFlight.delete(write);
    write.then(done, done);
    return write;
  }

  /** Records the device; resolves once the user document says online too when it is their first device. */
  online(userId: number, socketId: string, resource: string): Promise<void> {
    this.local.set(socketId, { userId, resource });
    return this.track(this.writeOnline(userId, socketId, resource));
  }

  /** Removes the device; resolves once the user document says offline too when it was their last device. */
  offline(userId: number, socketId: string, resource: string): Promise<void> {
    this.local.delete(socketId);
    return this.track(this.writeOffline(userId, socketId, resource));
  }

  /**
   * For a graceful shutdown, after the sockets were disconnected: waits for every presence write still
   * running (the disconnect handlers' "went offline"), then takes offline any device still recorded here
   * (an online write that finished after its socket's offline one). When it resolves, no device of this
   * gateway is left in Redis and the user documents say so; Redis and MongoDB may close. Rejects with the
   * first failed write of its own.
   */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    const left = [...this.local].map(([socketId, { userId, resource }]) => this.offline(userId, socketId, resource));
    await Promise.all(left);
  }

  private async writeOnline(userId: number, socketId: string, resource: string): Promise<void> {
    const now = Date.now();
    const replies = await this.redis
      .multi()
      .zremrangebyscore(key(userId), 0, now)
      .zadd(key(userId), now + this.ttlMs, this.member(socketId, resource))
      .zcard(key(userId))
      .exec();
    const live = Number(replies?.[2]?.[1] ?? 0);
    if (live <= 1) await this.writer.update(userId);
  }

  private async writeOffline(userId: number, socketId: string, resource: string): Promise<void> {
    const replies = await this.redis
      .multi()
      .zrem(key(userId), this.member(socketId, resource))
      .zremrangebyscore(key(userId), 0, Date.now())
      .zcard(key(userId))
      .exec();
    if (Number(replies?.[2]?.[1] ?? 0) === 0) await this.writer.update(userId);
  }

  /** Pushes the expiry of these sockets' records forward (called on a timer for every local socket). */
  async refresh(sockets: Array<{ userId: number; socketId: string; resource: string }>): Promise<void> {
    if (sockets.length === 0) return;
    const pipeline = this.redis.pipeline();
    const until = Date.now() + this.ttlMs;
    for (const s of sockets) pipeline.zadd(key(s.userId), until, this.member(s.socketId, s.resource));
    await pipeline.exec();
  }

  /** The user's live devices, as `gateway|resource|socketId`; expired records are dropped on the way. */
  async devices(userId: number): Promise<string[]> {
    await this.redis.zremrangebyscore(key(userId), 0, Date.now());
    return this.redis.zrange(key(userId), 0, -1);
  }
}

/**
 * Copies users' presence from Redis to their documents: one write at a time; users asked for while a
 * write runs are written together by the next one (one updateMany per state instead of one update per
 * connection — on FerretDB each is a scan of the users collection).
 */
export class PresenceWriter {
  private pending = new Map<number, Array<{ resolve: () => void; reject: (error: unknown) => void }>>();
  private writing = false;

  constructor(
    private readonly redis: Redis,
    private readonly models: Models,
  ) {}

  update(userId: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const waiters = this.pending.get(userId) ?? [];
      waiters.push({ resolve, reject });
      this.pending.set(userId, waiters);
      this.pump();
    });
  }

  private pump(): void {
    if (this.writing || this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    this.writing = true;
    void this.write([...batch.keys()])
      .then(
        () => {
          for (const waiters of batch.values()) for (const w of waiters) w.resolve();
        },
        (error: unknown) => {
          for (const waiters of batch.values()) for (const w of waiters) w.reject(error);
        },
      )
      .finally(() => {
        this.writing = false;
        this.pump();
      });
  }

  private async write(userIds: number[]): Promise<void> {
    const now = Date.now();
    const pipeline = this.redis.pipeline();
    for (const userId of userIds) pipeline.zremrangebyscore(key(userId), 0, now).zcard(key(userId));
    const replies = (await pipeline.exec()) ?? [];
    const online: number[] = [];
    const offline: number[] = [];
    userIds.forEach((userId, i) => {
      const [error, count] = replies[i * 2 + 1] ?? [new Error("no reply")];
      if (error) throw error;
      (Number(count) > 0 ? online : offline).push(userId);
    });
    const set = (ids: number[], onlinestate: number) =>
      ids.length === 0
        ? undefined
        : ids.length === 1
          ? this.models.users.updateOne({ userId: ids[0] }, { $set: { onlinestate, active: now } })
          : this.models.users.updateMany({ userId: { $in: ids } }, { $set: { onlinestate, active: now } });
    await Promise.all([set(online, 1), set(offline, 0)]);
  }
}
