import type { ErrorDefinition } from "./catalogue.js";

/**
 * 80xx: offline push (issue 12) — @mentions of room messages, the push device registry, conversation mutes;
 * part of the one error catalogue (catalogue.ts spreads it). Codes 8001–8099.
 */
export const pushErrors = {
  MENTION_NOT_ALLOWED: {
    code: 8001,
    kind: "invalid",
    messages: {
      zh: "只有群聊的文本消息可以@成员",
      en: "Only text messages in a group may @mention members",
      "zh-TW": "只有群組的文字訊息可以@成員",
    },
  },
  MENTION_NOT_MEMBER: {
    code: 8002,
    kind: "invalid",
    messages: {
      zh: "被@的用户不是该群成员",
      en: "An @mentioned user is not a member of this group",
      "zh-TW": "被@的使用者不是該群成員",
    },
  },
  MENTION_ALL_NOT_ALLOWED: {
    code: 8003,
    kind: "forbidden",
    messages: {
      zh: "只有群主和管理员可以@所有人",
      en: "Only the group owner and admins may @everyone",
      "zh-TW": "只有群主和管理員可以@所有人",
    },
  },
  PUSH_DEVICE_NOT_FOUND: {
    code: 8004,
    kind: "not_found",
    messages: {
      zh: "推送设备不存在",
      en: "No such push device",
      "zh-TW": "推播裝置不存在",
    },
  },
} as const satisfies Record<string, ErrorDefinition>;
