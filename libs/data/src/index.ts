export {
  bumpVersions,
  CHANGE_MARK_TTL_MS,
  claimVersion,
  readVersion,
  roomVersionKey,
  userVersionKey,
  VERSION_TTL_SECONDS,
  withVersionBump,
} from "./cache-versions.js";
export type { ClientConfigDoc } from "./models/client-config.js";
export type { FriendGroupDoc } from "./models/friend-group.js";
export { type FanDoc, FriendStatus, type FriendshipDoc } from "./models/friendship.js";
export type { NewFriendDoc } from "./models/new-friend.js";
export type { NotKeywordDoc } from "./models/not-keyword.js";
export {
  type ConversationMuteDoc,
  type PushDeviceDoc,
  type PushLogDoc,
  type PushOutcome,
  type PushProviderName,
  pushOutcomes,
  pushProviders,
} from "./models/push.js";
export { type RoomDoc, RoomStatus } from "./models/room.js";
export { type RoomJoinRequestDoc, type RoomMemberDoc, RoomRole } from "./models/room-member.js";
export type { SmsRecordDoc } from "./models/sms-record.js";
export {
  type MediaBlobDoc,
  type MediaGrantDoc,
  type RoomShareDoc,
  type UploadDoc,
  type UploadKind,
  UploadStatus,
  uploadKinds,
} from "./models/upload.js";
export { type UserDoc, type UserModel, type UserSettings, UserStatus, UserType } from "./models/user.js";
export { createModels, type Models, syncIndexes } from "./models.js";
