/**
 * Sharding of message storage. Single-chat messages are kept as one copy per participant in the
 * owner's user shard (the seed's "shiku_msgs, split by userId"); group messages once, in the room's
 * shard. Never one collection per user or per room.
 */

/** FNV-1a, 32 bit: a stable hash of a room id (or any string) for shard placement. */
export function stableHash(value: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < value.length; i++) {
    hash ^= value.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

export const userShard = (userId: number, shards: number) => userId % shards;
export const roomShard = (roomId: string, shards: number) => stableHash(roomId) % shards;

/** Collection names: `msgs_u_<n>` for users' single-chat copies, `msgs_g_<n>` for group messages. */
export const userCollection = (shard: number) => `msgs_u_${shard}`;
export const groupCollection = (shard: number) => `msgs_g_${shard}`;
