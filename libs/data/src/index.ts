export type { ClientConfigDoc } from "./models/client-config.js";
export type { FriendGroupDoc } from "./models/friend-group.js";
export { type FanDoc, FriendStatus, type FriendshipDoc } from "./models/friendship.js";
export type { NewFriendDoc } from "./models/new-friend.js";
export type { SmsRecordDoc } from "./models/sms-record.js";
export type { UserDoc, UserModel, UserSettings } from "./models/user.js";
export { createModels, type Models, syncIndexes } from "./models.js";
