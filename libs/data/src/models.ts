import type { Connection } from "mongoose";
import { clientConfigModel } from "./models/client-config.js";
import { friendGroupModel } from "./models/friend-group.js";
import { fanModel, friendshipModel } from "./models/friendship.js";
import { newFriendModel } from "./models/new-friend.js";
import { notKeywordModel } from "./models/not-keyword.js";
import { conversationMuteModel, pushDeviceModel, pushLogModel } from "./models/push.js";
import { roomModel } from "./models/room.js";
import { roomJoinRequestModel, roomMemberModel } from "./models/room-member.js";
import { smsRecordModel } from "./models/sms-record.js";
import { mediaBlobModel, mediaGrantModel, roomShareModel, uploadModel } from "./models/upload.js";
import { userModel } from "./models/user.js";

/** Every model of the platform's data, bound to one connection. */
export function createModels(connection: Connection) {
  return {
    users: userModel(connection),
    friendships: friendshipModel(connection),
    fans: fanModel(connection),
    newFriends: newFriendModel(connection),
    friendGroups: friendGroupModel(connection),
    clientConfig: clientConfigModel(connection),
    smsRecords: smsRecordModel(connection),
    notKeywords: notKeywordModel(connection),
    rooms: roomModel(connection),
    roomMembers: roomMemberModel(connection),
    roomJoinRequests: roomJoinRequestModel(connection),
    uploads: uploadModel(connection),
    mediaBlobs: mediaBlobModel(connection),
    mediaGrants: mediaGrantModel(connection),
    roomShares: roomShareModel(connection),
    pushDevices: pushDeviceModel(connection),
    pushLog: pushLogModel(connection),
    conversationMutes: conversationMuteModel(connection),
  };
}

export type Models = ReturnType<typeof createModels>;

/** Creates the collections and indexes every model declares (idempotent; run at start-up). */
export async function syncIndexes(models: Models): Promise<void> {
  for (const model of Object.values(models)) {
    await model.createCollection().catch((error: { code?: number }) => {
      if (error.code !== 48) throw error; // 48 = NamespaceExists
    });
    await model.createIndexes();
  }
}
