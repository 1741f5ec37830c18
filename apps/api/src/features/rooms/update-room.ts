import { type RoomDoc, RoomRole, roomVersionKey, withVersionBump } from "@im/data";
import { roomEventTypes } from "@im/messaging";
import { AppError } from "@im/protocol";
import type { z } from "zod";
import type { ApiDeps } from "../../context.js";
import { checkAvatarUrl } from "../users/avatar-url.js";
import { loadRoom, requireManager, requireMember, withRoomLock } from "./access.js";
import { roomSizeLimit } from "./create-room.js";
import { announce, memberIds } from "./events.js";
import type { roomPatch } from "./schemas.js";

/**
 * Changes a room's settings (owner or admin; maxUserSize owner only; avatarUrl only "" or the room's own
 * avatar URL from the upload app: AVATAR_URL_NOT_ALLOWED). Members are told of what they see:
 * a new name (902), notice (905), room-wide mute (906) or read-receipt setting (915).
 */
export async function updateRoom(deps: ApiDeps, me: number, roomId: string, patch: z.output<typeof roomPatch>): Promise<RoomDoc> {
  return withRoomLock(deps, roomId, async () => {
    const room = await loadRoom(deps, roomId);
    const actor = await requireMember(deps, roomId, me);
    requireManager(actor);
    const now = Date.now();
    const set: Partial<RoomDoc> = { modifier: me, modifyTime: now };
    if (patch.maxUserSize !== undefined) {
      if (actor.role !== RoomRole.owner) throw new AppError("ROOM_PERMISSION_DENIED");
      const size = roomSizeLimit(deps, patch.maxUserSize);
      const count = await deps.models.roomMembers.countDocuments({ roomId });
      // The room's state, not the request's shape, refuses it: 409, as a full room is.
      if (size < count) {
        throw new AppError("ROOM_FULL", {
          issues: [{ field: "body.maxUserSize", message: `must be at least the current member count (${count})` }],
        });
      }
      set.maxUserSize = size;
    }
    if (patch.avatarUrl !== undefined) {
      checkAvatarUrl(deps.config.MEDIA_PUBLIC_URL, patch.avatarUrl, "rooms", roomId);
      set.avatarUrl = patch.avatarUrl;
    }
    if (patch.name !== undefined) set.name = patch.name;
    if (patch.desc !== undefined) set.desc = patch.desc;
    if (patch.notice !== undefined) {
      set.notice = patch.notice;
      set.noticeTime = now;
    }
    if (patch.isNeedVerify !== undefined) set.isNeedVerify = patch.isNeedVerify;
    if (patch.isPublic !== undefined) set.isPublic = patch.isPublic;
    if (patch.showRead !== undefined) set.showRead = patch.showRead;
    if (patch.talkTime !== undefined) set.talkTime = patch.talkTime;
    const write = () => deps.models.rooms.updateOne({ roomId }, { $set: set });
    // The room-wide mute is in the gateways' cached room (cache-versions.ts); names and notices are not.
    if (patch.talkTime !== undefined) await withVersionBump(deps.redis, [roomVersionKey(roomId)], write);
    else await write();

    const everyone = await memberIds(deps, roomId);
    const tell = (type: Parameters<typeof announce>[2], detail: Record<string, unknown>) =>
      announce(deps, roomId, type, { userIds: [], operator: me, ...detail }, everyone);
    if (patch.name !== undefined && patch.name !== room.name) await tell(roomEventTypes.rename, { name: patch.name });
    if (patch.notice !== undefined && patch.notice !== room.notice) await tell(roomEventTypes.notice, { notice: patch.notice });
    if (patch.talkTime !== undefined && patch.talkTime !== room.talkTime) await tell(roomEventTypes.mute, { talkTime: patch.talkTime });
    if (patch.showRead !== undefined && patch.showRead !== room.showRead) await tell(roomEventTypes.showRead, { showRead: patch.showRead });
    return loadRoom(deps, roomId);
  });
}
