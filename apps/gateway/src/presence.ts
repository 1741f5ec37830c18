import type { Models } from "@im/data";
import type { Redis } from "@im/infra";

const key = (userId: number) => `im:presence:${userId}`;

/**
 * Presence per user and device: a sorted set of the user's sockets scored by when their record expires.
 * The owning gateway refreshes its sockets' scores; a gateway that dies stops refreshing and its entries
 * lapse, so a crash never leaves a user online for more than the TTL.
 */
export class Presence {
  constructor(
    private readonly redis: Redis,
    private readonly models: Models,
    private readonly gatewayId: string,
    private readonly ttlMs: number,
  ) {}

  private member(socketId: string, resource: string) {
    return `${this.gatewayId}|${resource}|${socketId}`;
  }

  async online(userId: number, socketId: string, resource: string): Promise<void> {
    const now = Date.now();
    await this.redis.zadd(key(userId), now + this.ttlMs, this.member(socketId, resource));
    await this.models.users.updateOne({ userId }, { $set: { onlinestate: 1, active: now } });
  }

  async offline(userId: number, socketId: string, resource: string): Promise<void> {
    await this.redis.zrem(key(userId), this.member(socketId, resource));
    if ((await this.devices(userId)).length === 0) {
      await this.models.users.updateOne({ userId }, { $set: { onlinestate: 0, active: Date.now() } });
    }
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
