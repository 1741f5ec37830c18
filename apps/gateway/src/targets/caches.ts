import { claimVersion, type Models, readVersion, roomVersionKey, userVersionKey } from "@im/data";
import type { Redis } from "@im/infra";
import { VersionedCache, type VersionSource } from "./versioned-cache.js";

/** A recipient of single chats as a send needs it: their status, and the users they block. */
export interface UserTargetEntry {
  status: number;
  blocked: ReadonlySet<number>;
}

/** A room as a send needs it: its status, room-wide mute, and every member with role and mute. */
export interface RoomTargetEntry {
  status: number;
  talkTime: number;
  members: ReadonlyMap<number, { role: number; talkTime: number }>;
}

/**
 * The gateway's caches of what authorises a send, kept exact by the version tokens in Redis (libs/data
 * cache-versions.ts): the API replaces a token after every write that changes an entry, so a change takes
 * effect on the next send on every gateway, as when every send read MongoDB.
 */
export interface TargetCaches {
  users: VersionedCache<number, UserTargetEntry>;
  rooms: VersionedCache<string, RoomTargetEntry>;
}

const versionsOf = <K>(redis: Redis, keyOf: (key: K) => string): VersionSource<K> => ({
  read: (key) => readVersion(redis, keyOf(key)),
  claim: (key) => claimVersion(redis, keyOf(key)),
});

export function createTargetCaches(
  models: Models,
  redis: Redis,
  options: { maxWeight: number; onResult?: (kind: "user" | "room", result: "hit" | "miss") => void },
): TargetCaches {
  return {
    users: new VersionedCache({
      maxWeight: options.maxWeight,
      versions: versionsOf(redis, userVersionKey),
      load: async (userId) => {
        const [user, blocked] = await Promise.all([
          models.users.findOne({ userId }, { _id: 0, status: 1 }).lean(),
          models.friendships.find({ userId, blacklist: 1 }, { _id: 0, toUserId: 1 }).lean(),
        ]);
        if (!user) return null;
        return { status: user.status, blocked: new Set(blocked.map((row) => row.toUserId)) };
      },
      weight: (entry) => 1 + entry.blocked.size,
      onResult: (result) => options.onResult?.("user", result),
    }),
    rooms: new VersionedCache({
      maxWeight: options.maxWeight,
      versions: versionsOf(redis, roomVersionKey),
      load: async (roomId) => {
        const [room, members] = await Promise.all([
          models.rooms.findOne({ roomId }, { _id: 0, status: 1, talkTime: 1 }).lean(),
          models.roomMembers.find({ roomId }, { _id: 0, userId: 1, role: 1, talkTime: 1 }).lean(),
        ]);
        if (!room) return null;
        return {
          status: room.status,
          talkTime: room.talkTime,
          members: new Map(members.map((m) => [m.userId, { role: m.role, talkTime: m.talkTime }])),
        };
      },
      weight: (entry) => 1 + entry.members.size,
      onResult: (result) => options.onResult?.("room", result),
    }),
  };
}
