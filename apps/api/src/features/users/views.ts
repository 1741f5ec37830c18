import type { FriendshipDoc, UserDoc } from "@im/data";
import type { z } from "zod";
import type { otherUserSchema, publicUserSchema, relationshipSchema, selfUserSchema } from "./schemas.js";

export type PublicUser = z.input<typeof publicUserSchema>;
export type SelfUser = z.input<typeof selfUserSchema>;

export function toPublicUser(user: UserDoc): PublicUser {
  return {
    userId: user.userId,
    nickname: user.nickname,
    description: user.description,
    avatarUrl: user.avatarUrl,
    sex: user.sex,
    userType: user.userType,
    level: user.level,
    vip: user.vip,
    countryId: user.countryId,
    provinceId: user.provinceId,
    cityId: user.cityId,
    areaId: user.areaId,
    friendsCount: user.friendsCount,
    fansCount: user.fansCount,
    attCount: user.attCount,
    createTime: user.createTime,
  };
}

export function toSelfUser(user: UserDoc): SelfUser {
  const s = user.settings;
  const flag = (value: number | undefined | null, fallback: 0 | 1): 0 | 1 => (value === 0 || value === 1 ? value : fallback);
  return {
    ...toPublicUser(user),
    areaCode: user.areaCode,
    phone: user.phone,
    telephone: user.telephone,
    birthday: user.birthday,
    ...(user.loc && typeof user.loc.lng === "number" && typeof user.loc.lat === "number"
      ? { loc: { lng: user.loc.lng, lat: user.loc.lat } }
      : {}),
    status: user.status,
    settings: {
      allowAtt: flag(s?.allowAtt, 1),
      allowGreet: flag(s?.allowGreet, 1),
      friendsVerify: flag(s?.friendsVerify, 1),
      multipleDevices: flag(s?.multipleDevices, 1),
      offlineNoPush: flag(s?.offlineNoPush, 0),
      pushPreview: flag(s?.pushPreview, 1),
      pushMentions: flag(s?.pushMentions, 1),
      closeTelephoneFind: flag(s?.closeTelephoneFind, 0),
      chatRecordTimeOut: s?.chatRecordTimeOut ?? -1,
    },
    modifyTime: user.modifyTime,
  };
}

export function toRelationship(mine: FriendshipDoc | null, theirs: FriendshipDoc | null): z.input<typeof relationshipSchema> {
  return {
    status: mine?.status ?? 0,
    blacklist: mine?.blacklist ?? 0,
    isBeenBlack: mine?.isBeenBlack ?? 0,
    remarkName: mine?.remarkName ?? "",
    followsMe: (theirs?.status ?? 0) >= 1,
  };
}

export function toOtherUser(user: UserDoc, mine: FriendshipDoc | null, theirs: FriendshipDoc | null): z.input<typeof otherUserSchema> {
  return { ...toPublicUser(user), relationship: toRelationship(mine, theirs) };
}
