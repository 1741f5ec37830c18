import type { FriendGroupDoc, UserDoc } from "@im/data";
import type { Types } from "mongoose";
import type { z } from "zod";
import { toPublicUser } from "../users/views.js";
import type { Side } from "./pair.js";
import type { friendGroupSchema, friendItemSchema, newFriendItemSchema, userItemSchema } from "./schemas.js";

export type FriendItem = z.input<typeof friendItemSchema>;
export type UserItem = z.input<typeof userItemSchema>;
export type NewFriendItem = z.input<typeof newFriendItemSchema>;
export type FriendGroupView = z.input<typeof friendGroupSchema>;

type RelationFields = Pick<Side, "remarkName" | "offlineNoPushMsg" | "chatRecordTimeOut" | "createTime">;

export function toFriendItem(user: UserDoc, relation: RelationFields): FriendItem {
  return {
    user: toPublicUser(user),
    remarkName: relation.remarkName,
    offlineNoPushMsg: relation.offlineNoPushMsg,
    chatRecordTimeOut: relation.chatRecordTimeOut,
    createTime: relation.createTime,
  };
}

export const toUserItem = (user: UserDoc, createTime: number): UserItem => ({ user: toPublicUser(user), createTime });

export function toFriendGroup(group: FriendGroupDoc & { _id: Types.ObjectId }): FriendGroupView {
  return {
    groupId: group._id.toHexString(),
    groupName: group.groupName,
    userIds: [...group.userIdList],
    createTime: group.createTime,
    modifyTime: group.modifyTime,
  };
}
