import { mediaErrors } from "./catalogue-media.js";
import { pushErrors } from "./catalogue-push.js";
import type { ErrorKind } from "./kinds.js";

/** Languages every error message is written in: the seed's `message` table had zh, en and big5 (zh-TW). */
export const languages = ["zh", "en", "zh-TW"] as const;
export type Language = (typeof languages)[number];

export interface ErrorDefinition {
  /** Stable numeric code: 1xxx general, 2xxx auth, 3xxx accounts, 4xxx friends, 5xxx messaging, 6xxx rooms, 7xxx media, 80xx push. Never reused. */
  readonly code: number;
  readonly kind: ErrorKind;
  readonly messages: Readonly<Record<Language, string>>;
}

/**
 * The one error catalogue of the platform. Keys are stable string codes sent to clients beside the
 * numeric code; messages are chosen by the caller's language.
 */
export const errorCatalogue = {
  // 1xxx — general
  INTERNAL_ERROR: {
    code: 1000,
    kind: "internal",
    messages: { zh: "服务器内部错误", en: "Internal server error", "zh-TW": "伺服器內部錯誤" },
  },
  VALIDATION_FAILED: {
    code: 1001,
    kind: "invalid",
    messages: { zh: "请求参数不正确", en: "The request is invalid", "zh-TW": "請求參數不正確" },
  },
  MALFORMED_JSON: {
    code: 1002,
    kind: "invalid",
    messages: { zh: "请求体不是有效的 JSON", en: "The request body is not valid JSON", "zh-TW": "請求內容不是有效的 JSON" },
  },
  PAYLOAD_TOO_LARGE: {
    code: 1003,
    kind: "payload_too_large",
    messages: { zh: "请求体过大", en: "The request body is too large", "zh-TW": "請求內容過大" },
  },
  ROUTE_NOT_FOUND: {
    code: 1004,
    kind: "not_found",
    messages: { zh: "接口不存在", en: "No such endpoint", "zh-TW": "介面不存在" },
  },
  RATE_LIMITED: {
    code: 1005,
    kind: "rate_limited",
    messages: { zh: "操作过于频繁，请稍后再试", en: "Too many requests, try again later", "zh-TW": "操作過於頻繁，請稍後再試" },
  },
  SERVICE_UNAVAILABLE: {
    code: 1006,
    kind: "unavailable",
    messages: { zh: "服务暂不可用", en: "Service temporarily unavailable", "zh-TW": "服務暫時無法使用" },
  },
  BUSY_RETRY: {
    code: 1007,
    kind: "unavailable",
    messages: { zh: "系统繁忙，请重试", en: "The system is busy, please retry", "zh-TW": "系統忙碌，請重試" },
  },
  // 1020–1029: HTTP framing (the body or method, before any route's schema is applied)
  MALFORMED_BODY: {
    code: 1020,
    kind: "invalid",
    messages: {
      zh: "请求体无法读取（压缩数据损坏或长度不符）",
      en: "The request body could not be read (corrupt compressed data or wrong length)",
      "zh-TW": "無法讀取請求內容（壓縮資料損壞或長度不符）",
    },
  },
  UNSUPPORTED_MEDIA_TYPE: {
    code: 1021,
    kind: "unsupported_media_type",
    messages: {
      zh: "不支持的请求体编码或字符集",
      en: "Unsupported content encoding or charset of the request body",
      "zh-TW": "不支援的請求內容編碼或字元集",
    },
  },
  METHOD_NOT_ALLOWED: {
    code: 1022,
    kind: "method_not_allowed",
    messages: { zh: "该接口不支持此请求方法", en: "This endpoint does not support this method", "zh-TW": "此介面不支援該請求方法" },
  },

  // 2xxx — authentication
  TOKEN_MISSING: {
    code: 2001,
    kind: "unauthenticated",
    messages: { zh: "缺少访问令牌", en: "Access token is missing", "zh-TW": "缺少存取權杖" },
  },
  TOKEN_INVALID: {
    code: 2002,
    kind: "unauthenticated",
    messages: {
      zh: "访问令牌无效、已过期或已注销，请重新登录",
      en: "Access token is invalid, expired or revoked; log in again",
      "zh-TW": "存取權杖無效、已過期或已登出，請重新登入",
    },
  },
  LOGIN_FAILED: {
    code: 2003,
    kind: "unauthenticated",
    messages: { zh: "手机号或密码错误", en: "Wrong phone number or password", "zh-TW": "手機號碼或密碼錯誤" },
  },
  LOGIN_LOCKED: {
    code: 2004,
    kind: "rate_limited",
    messages: {
      zh: "登录失败次数过多，请稍后再试",
      en: "Too many failed logins, try again later",
      "zh-TW": "登入失敗次數過多，請稍後再試",
    },
  },
  ACCOUNT_DISABLED: {
    code: 2005,
    kind: "forbidden",
    messages: { zh: "账号已被禁用", en: "This account is disabled", "zh-TW": "帳號已被停用" },
  },
  PASSWORD_INCORRECT: {
    code: 2006,
    kind: "forbidden",
    messages: { zh: "原密码错误", en: "The current password is wrong", "zh-TW": "原密碼錯誤" },
  },
  SESSION_NOT_FOUND: {
    code: 2007,
    kind: "not_found",
    messages: { zh: "该设备会话不存在", en: "No such session", "zh-TW": "該裝置工作階段不存在" },
  },

  // 3xxx — accounts and verification codes
  PHONE_ALREADY_REGISTERED: {
    code: 3001,
    kind: "conflict",
    messages: { zh: "该手机号已注册", en: "This phone number is already registered", "zh-TW": "此手機號碼已註冊" },
  },
  PHONE_NOT_REGISTERED: {
    code: 3002,
    kind: "not_found",
    messages: { zh: "该手机号未注册", en: "This phone number is not registered", "zh-TW": "此手機號碼未註冊" },
  },
  SMS_CODE_INVALID: {
    code: 3003,
    kind: "invalid",
    messages: {
      zh: "短信验证码错误或已过期",
      en: "The SMS code is wrong or has expired",
      "zh-TW": "簡訊驗證碼錯誤或已過期",
    },
  },
  SMS_SEND_FAILED: {
    code: 3004,
    kind: "unavailable",
    messages: { zh: "短信发送失败", en: "The SMS could not be sent", "zh-TW": "簡訊傳送失敗" },
  },
  SMS_TOO_FREQUENT: {
    code: 3005,
    kind: "rate_limited",
    messages: {
      zh: "验证码发送过于频繁，请稍后再试",
      en: "Codes are being requested too often, try again later",
      "zh-TW": "驗證碼傳送過於頻繁，請稍後再試",
    },
  },
  USER_NOT_FOUND: {
    code: 3006,
    kind: "not_found",
    messages: { zh: "用户不存在", en: "No such user", "zh-TW": "使用者不存在" },
  },
  PHONE_SEARCH_DISABLED: {
    code: 3007,
    kind: "forbidden",
    messages: { zh: "已关闭手机号搜索", en: "Search by phone number is turned off", "zh-TW": "已關閉手機號碼搜尋" },
  },

  // 4xxx — friends
  CANNOT_TARGET_SELF: {
    code: 4001,
    // Not a malformed request (the id is a valid user id, the caller's own): refused like other relationship rules.
    kind: "forbidden",
    messages: { zh: "不能对自己进行此操作", en: "You cannot do this to yourself", "zh-TW": "不能對自己進行此操作" },
  },
  ALREADY_FRIENDS: {
    code: 4002,
    kind: "conflict",
    messages: { zh: "你们已经是好友", en: "You are already friends", "zh-TW": "你們已經是好友" },
  },
  BLOCKED_BY_USER: {
    code: 4003,
    kind: "forbidden",
    messages: { zh: "对方已将你拉黑", en: "This user has blocked you", "zh-TW": "對方已將你封鎖" },
  },
  USER_IS_BLOCKED: {
    code: 4004,
    kind: "conflict",
    messages: {
      zh: "你已将对方拉黑，请先移出黑名单",
      en: "You have blocked this user; unblock first",
      "zh-TW": "你已將對方封鎖，請先解除封鎖",
    },
  },
  FOLLOW_NOT_ALLOWED: {
    code: 4005,
    kind: "forbidden",
    messages: { zh: "对方不允许被关注", en: "This user does not allow followers", "zh-TW": "對方不允許被關注" },
  },
  GREET_NOT_ALLOWED: {
    code: 4006,
    kind: "forbidden",
    messages: { zh: "对方不允许打招呼", en: "This user does not accept greetings", "zh-TW": "對方不允許打招呼" },
  },
  FRIEND_REQUEST_NOT_FOUND: {
    code: 4007,
    kind: "not_found",
    messages: {
      zh: "没有待处理的好友请求",
      en: "There is no pending friend request from this user",
      "zh-TW": "沒有待處理的好友請求",
    },
  },
  NOT_FRIENDS: {
    code: 4008,
    // A precondition on the other user, not a missing resource: 403, as the catalogue's forbidden kind.
    kind: "forbidden",
    messages: { zh: "对方不是你的好友", en: "This user is not your friend", "zh-TW": "對方不是你的好友" },
  },
  FRIEND_GROUP_NOT_FOUND: {
    code: 4009,
    kind: "not_found",
    messages: { zh: "好友分组不存在", en: "No such friend group", "zh-TW": "好友分組不存在" },
  },
  FRIEND_GROUP_LIMIT: {
    code: 4010,
    kind: "conflict",
    messages: { zh: "好友分组数量已达上限", en: "Too many friend groups", "zh-TW": "好友分組數量已達上限" },
  },
  NOT_BLOCKED: {
    code: 4011,
    kind: "not_found",
    messages: { zh: "对方不在黑名单中", en: "This user is not on your blacklist", "zh-TW": "對方不在黑名單中" },
  },
  FRIEND_GROUP_NAME_TAKEN: {
    code: 4012,
    kind: "conflict",
    messages: { zh: "已有同名的好友分组", en: "You already have a friend group with this name", "zh-TW": "已有同名的好友分組" },
  },

  // 5xxx — messaging
  KEYWORD_REJECTED: {
    code: 5001,
    kind: "forbidden",
    messages: {
      zh: "消息包含敏感词，未发送",
      en: "The message contains a banned word and was not sent",
      "zh-TW": "訊息包含敏感詞，未傳送",
    },
  },
  MESSAGE_NOT_FOUND: {
    code: 5002,
    kind: "not_found",
    messages: { zh: "消息不存在", en: "No such message", "zh-TW": "訊息不存在" },
  },
  RECALL_NOT_ALLOWED: {
    code: 5003,
    kind: "forbidden",
    messages: { zh: "只能撤回自己发送的消息", en: "You can only recall your own messages", "zh-TW": "只能收回自己傳送的訊息" },
  },
  RECALL_WINDOW_PASSED: {
    code: 5004,
    kind: "forbidden",
    messages: { zh: "消息发送时间过久，无法撤回", en: "The message is too old to recall", "zh-TW": "訊息傳送時間過久，無法收回" },
  },
  CONVERSATION_NOT_FOUND: {
    code: 5005,
    kind: "not_found",
    messages: { zh: "会话不存在", en: "No such conversation", "zh-TW": "對話不存在" },
  },
  MESSAGE_ID_REUSED: {
    code: 5008,
    kind: "conflict",
    messages: {
      zh: "该消息 ID 已用于另一条消息",
      en: "This messageId was already used for a different message",
      "zh-TW": "此訊息 ID 已用於另一則訊息",
    },
  },
  PROTOCOL_UNSUPPORTED: {
    code: 5006,
    kind: "invalid",
    messages: {
      zh: "客户端协议版本不受支持，请升级",
      en: "This client's protocol version is not supported; please update the app",
      "zh-TW": "用戶端協定版本不受支援，請更新",
    },
  },
  MESSAGE_TYPE_NOT_ALLOWED: {
    code: 5007,
    kind: "forbidden",
    messages: {
      zh: "该消息类型只能由系统发送",
      en: "This message type is sent by the platform only",
      "zh-TW": "此訊息類型只能由系統傳送",
    },
  },

  // 6xxx — rooms (groups)
  ROOM_NOT_FOUND: {
    code: 6001,
    kind: "not_found",
    messages: { zh: "群组不存在", en: "No such group", "zh-TW": "群組不存在" },
  },
  NOT_ROOM_MEMBER: {
    code: 6002,
    kind: "forbidden",
    messages: { zh: "你不是该群成员", en: "You are not a member of this group", "zh-TW": "你不是該群成員" },
  },
  ROOM_MUTED: {
    code: 6003,
    kind: "forbidden",
    messages: { zh: "你已被禁言", en: "You are muted in this group", "zh-TW": "你已被禁言" },
  },
  ROOM_FULL: {
    code: 6004,
    kind: "conflict",
    messages: { zh: "群成员已满", en: "The group is full", "zh-TW": "群成員已滿" },
  },
  ROOM_PERMISSION_DENIED: {
    code: 6005,
    kind: "forbidden",
    messages: { zh: "没有权限执行此群操作", en: "You may not do this in this group", "zh-TW": "沒有權限執行此群組操作" },
  },
  ALREADY_ROOM_MEMBER: {
    code: 6006,
    kind: "conflict",
    messages: { zh: "已经是群成员", en: "Already a member of this group", "zh-TW": "已經是群成員" },
  },
  JOIN_REQUEST_NOT_FOUND: {
    code: 6007,
    kind: "not_found",
    messages: { zh: "没有待审批的入群申请", en: "There is no pending request to join", "zh-TW": "沒有待審核的入群申請" },
  },
  CANNOT_REMOVE_OWNER: {
    code: 6008,
    kind: "forbidden",
    messages: { zh: "不能移除群主", en: "The group owner cannot be removed", "zh-TW": "不能移除群主" },
  },
  JOIN_TOKEN_INVALID: {
    code: 6009,
    kind: "forbidden",
    messages: {
      zh: "入群链接无效或已过期",
      en: "This join link is invalid or has expired",
      "zh-TW": "入群連結無效或已過期",
    },
  },

  ...mediaErrors,
  ...pushErrors,
} as const satisfies Record<string, ErrorDefinition>;

export type ErrorCode = keyof typeof errorCatalogue;
