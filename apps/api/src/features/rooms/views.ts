import type { RoomDoc, RoomJoinRequestDoc, RoomMemberDoc, UserDoc } from "@im/data";
import type { z } from "zod";
import type { joinRequestSchema, memberSchema, roomSchema } from "./schemas.js";

export function toRoomView(room: RoomDoc, role?: number): z.input<typeof roomSchema> {
  return {
    roomId: room.roomId,
    name: room.name,
    desc: room.desc,
    notice: room.notice,
    ownerId: room.ownerId,
    maxUserSize: room.maxUserSize,
    userSize: room.userSize,
    isNeedVerify: room.isNeedVerify,
    isPublic: room.isPublic ?? 0,
    showRead: room.showRead,
    talkTime: room.talkTime,
    avatarUrl: room.avatarUrl ?? "",
    createTime: room.createTime,
    modifyTime: room.modifyTime,
    ...(role !== undefined ? { role } : {}),
  };
}

/** A member as members see it; `viewer` (the caller) also sees their own do-not-disturb setting. */
export function toMemberView(member: RoomMemberDoc, user: UserDoc | undefined, viewer?: number): z.input<typeof memberSchema> {
  return {
    userId: member.userId,
    nickname: member.nickname || user?.nickname || "",
    avatarUrl: user?.avatarUrl ?? "",
    role: member.role,
    talkTime: member.talkTime,
    joinTime: member.joinTime,
    ...(viewer === member.userId ? { offlineNoPushMsg: member.offlineNoPushMsg ?? 0 } : {}),
  };
}

export function toJoinRequestView(request: RoomJoinRequestDoc, user: UserDoc | undefined): z.input<typeof joinRequestSchema> {
  return {
    userId: request.userId,
    nickname: user?.nickname ?? "",
    avatarUrl: user?.avatarUrl ?? "",
    reason: request.reason,
    createTime: request.createTime,
  };
}
