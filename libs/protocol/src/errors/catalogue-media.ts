import type { ErrorDefinition } from "./catalogue.js";

/** 7xxx: media (uploads, downloads, media messages, room shared files), part of the one error catalogue. */
export const mediaErrors = {
  UPLOAD_EMPTY: {
    code: 7001,
    kind: "invalid",
    messages: { zh: "上传的文件为空", en: "The uploaded file is empty", "zh-TW": "上傳的檔案為空" },
  },
  UPLOAD_TOO_LARGE: {
    code: 7002,
    kind: "payload_too_large",
    messages: {
      zh: "文件超过该类型的大小上限",
      en: "The file is larger than this kind of upload allows",
      "zh-TW": "檔案超過該類型的大小上限",
    },
  },
  UPLOAD_TYPE_NOT_ALLOWED: {
    code: 7003,
    kind: "unsupported_media_type",
    messages: { zh: "不支持该文件类型", en: "This type of file is not allowed here", "zh-TW": "不支援該檔案類型" },
  },
  UPLOAD_TRUNCATED: {
    code: 7004,
    kind: "invalid",
    messages: { zh: "文件未完整上传", en: "The upload ended before the whole file arrived", "zh-TW": "檔案未完整上傳" },
  },
  MEDIA_UNREADABLE: {
    code: 7005,
    kind: "invalid",
    messages: { zh: "无法读取该媒体文件", en: "The media file could not be read", "zh-TW": "無法讀取該媒體檔案" },
  },
  UPLOAD_NOT_FOUND: {
    code: 7006,
    kind: "not_found",
    messages: { zh: "文件不存在或无权访问", en: "No such file, or you may not see it", "zh-TW": "檔案不存在或無權存取" },
  },
  UPLOAD_CHECKSUM_MISMATCH: {
    code: 7007,
    kind: "invalid",
    messages: { zh: "文件校验失败", en: "The file's checksum does not match", "zh-TW": "檔案校驗失敗" },
  },
  MULTIPART_INVALID: {
    code: 7008,
    kind: "invalid",
    messages: { zh: "分片上传不完整或无效", en: "The multipart upload is incomplete or invalid", "zh-TW": "分段上傳不完整或無效" },
  },
  UPLOAD_NOT_SHAREABLE: {
    code: 7009,
    kind: "forbidden",
    messages: { zh: "不能在消息中发送该文件", en: "You may not send this file in a message", "zh-TW": "不能在訊息中傳送該檔案" },
  },
  UPLOAD_KIND_MISMATCH: {
    code: 7010,
    kind: "invalid",
    messages: { zh: "文件类型与消息类型不符", en: "The file's kind does not fit this message type", "zh-TW": "檔案類型與訊息類型不符" },
  },
  AVATAR_URL_NOT_ALLOWED: {
    code: 7011,
    kind: "invalid",
    messages: { zh: "头像只能来自上传", en: "An avatar must be an uploaded image", "zh-TW": "頭像只能來自上傳" },
  },
  ROOM_SHARE_NOT_FOUND: {
    code: 7012,
    kind: "not_found",
    messages: { zh: "群文件不存在", en: "No such group file", "zh-TW": "群檔案不存在" },
  },
} as const satisfies Record<string, ErrorDefinition>;
