import { roomVersionKey, userVersionKey, withVersionBump } from "@im/data";
import { withLocks } from "@im/infra";
import { type AvatarScope, avatarKey, avatarPrefix, avatarUrl, isOwnAvatarUrl } from "@im/media";
import { processMedia, sniffFile } from "@im/media/process";
import { AppError } from "@im/protocol";
import type { Request } from "express";
import type { UploadDeps } from "./context.js";
import { countUpload, isRefusal, kindLimit, observeTimings, processOptions, spoolUpload, withWorkDir } from "./uploads.js";

/**
 * Avatars (the seed's UploadAvatarServlet): a user's own, or a room's by its owner or admins. Each upload is
 * a new version, resized to every UPLOAD_AVATAR_SIZES square and stored under
 * `avatars/<users|rooms>/<id>/<version>/<size>.jpg`; the user's or room's `avatarUrl` becomes
 * `${MEDIA_PUBLIC_URL}/v1/avatars/<scope>/<id>?v=<version>` (stable, the version busts caches), and the
 * previous version's objects are removed. Avatars never expire and are public (GET routes).
 */

const versionCounterKey = (scope: AvatarScope, id: string | number) => `im:avatar:ver:${scope}:${id}`;
const avatarLockKey = (scope: AvatarScope, id: string | number) => `im:avatar:lock:${scope}:${id}`;

/** The version in an avatarUrl of ours (`?v=<n>`), or 0 when the URL is not ours (or empty). */
export function versionOf(deps: Pick<UploadDeps, "config">, url: string | null | undefined): number {
  if (!url || !isOwnAvatarUrl(deps.config.MEDIA_PUBLIC_URL, url)) return 0;
  return Number(new URL(url).searchParams.get("v") ?? 0);
}

/** The target of an avatar upload. */
export type AvatarTarget = { scope: "users"; userId: number } | { scope: "rooms"; roomId: string };

/** Checks that the caller may set a room's avatar: the room exists and they are its owner or an admin. */
export async function checkRoomAdmin(deps: UploadDeps, userId: number, roomId: string): Promise<void> {
  const room = await deps.models.rooms.findOne({ roomId, status: 0 }, { _id: 1 }).lean();
  if (!room) throw new AppError("ROOM_NOT_FOUND");
  const member = await deps.models.roomMembers.findOne({ roomId, userId }, { role: 1 }).lean();
  if (!member || (member.role !== 1 && member.role !== 2)) throw new AppError("ROOM_PERMISSION_DENIED");
}

async function currentAvatarUrl(deps: UploadDeps, target: AvatarTarget): Promise<string | undefined> {
  if (target.scope === "users") {
    return (await deps.models.users.findOne({ userId: target.userId }, { avatarUrl: 1 }).lean())?.avatarUrl ?? undefined;
  }
  const room = await deps.models.rooms.collection.findOne({ roomId: target.roomId }, { projection: { avatarUrl: 1 } });
  return typeof room?.avatarUrl === "string" ? room.avatarUrl : undefined;
}

/** Receives, resizes and stores a new avatar version and points the user's or room's avatarUrl at it. */
export async function uploadAvatar(deps: UploadDeps, req: Request, target: AvatarTarget): Promise<{ avatarUrl: string; version: number }> {
  const id = target.scope === "users" ? target.userId : target.roomId;
  try {
    const result = await withWorkDir(deps, async (dir) => {
      const spooled = await spoolUpload(req, dir, kindLimit(deps, "avatar"));
      const processed = await processMedia("avatar", spooled.path, await sniffFile(spooled.path), processOptions(deps, dir));
      observeTimings(deps, processed);
      const sizes = processed.sizes ?? [];
      if (sizes.length === 0) throw new AppError("MEDIA_UNREADABLE");
      return withLocks(
        deps.redis,
        [avatarLockKey(target.scope, id)],
        async () => {
          // The version in use, when its objects exist: a client may put back any URL of the right shape
          // (`?v=999999999999999`), and following such a version made every later one too long to be ours (404 for good).
          const claimed = versionOf(deps, await currentAvatarUrl(deps, target));
          const previous = claimed > 0 && (await deps.storage.listKeys(avatarPrefix(target.scope, id, claimed))).length > 0 ? claimed : 0;
          let version = await deps.redis.incr(versionCounterKey(target.scope, id));
          if (version <= previous) {
            // Redis lost the counter: continue after the version in use, never reuse one clients may have cached.
            version = previous + 1;
            await deps.redis.set(versionCounterKey(target.scope, id), String(version));
          }
          const keys = sizes.map((entry) => avatarKey(target.scope, id, version, entry.size));
          try {
            for (const [index, entry] of sizes.entries()) await deps.storage.putFile(keys[index] as string, entry.path, entry.contentType);
            const url = avatarUrl(deps.config.MEDIA_PUBLIC_URL, target.scope, id, version);
            if (target.scope === "users") {
              await withVersionBump(deps.redis, [userVersionKey(target.userId)], () =>
                deps.models.users.updateOne({ userId: target.userId }, { $set: { avatarUrl: url } }),
              );
            } else {
              await withVersionBump(deps.redis, [roomVersionKey(target.roomId)], () =>
                deps.models.rooms.collection.updateOne({ roomId: target.roomId }, { $set: { avatarUrl: url, modifyTime: Date.now() } }),
              );
            }
          } catch (error) {
            await deps.storage.removeObjects(keys).catch(() => undefined);
            throw error;
          }
          if (previous > 0) {
            const old = deps.config.UPLOAD_AVATAR_SIZES.map((size) => avatarKey(target.scope, id, previous, size));
            await deps.storage.removeObjects(old).catch((error) => deps.logger.warn({ err: error }, "old avatar objects not removed"));
          }
          return { avatarUrl: avatarUrl(deps.config.MEDIA_PUBLIC_URL, target.scope, id, version), version, bytes: spooled.bytes };
        },
        { ttlMs: 60_000, waitMs: 10_000 },
      );
    });
    countUpload(deps, "avatar", "stored", result.bytes);
    return { avatarUrl: result.avatarUrl, version: result.version };
  } catch (error) {
    countUpload(deps, "avatar", isRefusal(error) ? "refused" : "failed");
    throw error;
  }
}

/**
 * The object of an avatar for `?size=` (px): the smallest configured size ≥ the asked one (the largest when
 * none is), of the version in the user's or room's avatarUrl. Undefined when they have no uploaded avatar.
 */
export async function avatarObject(deps: UploadDeps, target: AvatarTarget, askedSize: number | undefined): Promise<string | undefined> {
  const version = versionOf(deps, await currentAvatarUrl(deps, target));
  if (version === 0) return undefined;
  const sizes = deps.config.UPLOAD_AVATAR_SIZES;
  const largest = sizes[sizes.length - 1] as number;
  const size = askedSize === undefined ? largest : (sizes.find((candidate) => candidate >= askedSize) ?? largest);
  return avatarKey(target.scope, target.scope === "users" ? target.userId : target.roomId, version, size);
}
