export {
  AppError,
  type AppErrorOptions,
  type ErrorBody,
  errorBody,
  type FieldIssue,
  httpStatusOf,
  socketCategoryOf,
} from "./errors/app-error.js";
export { type ErrorCode, type ErrorDefinition, errorCatalogue, type Language, languages } from "./errors/catalogue.js";
export { type ErrorKind, errorKinds, type SocketErrorCategory } from "./errors/kinds.js";
export { pickLanguage } from "./errors/language.js";
export { type FriendNoticeType, friendNoticeTypes } from "./friend-notices.js";
export { decimalIntText, MAX_USER_ID, userIdSchema, userIdTextSchema } from "./ids.js";
export {
  type ChatType,
  chatTypes,
  clientResources,
  type DeliveredMessage,
  deliveredMessageSchema,
  groupConversationId,
  MAX_AT_USERS,
  MAX_CONTENT_BYTES,
  MAX_SEND_PACKET_BYTES,
  PROTOCOL_VERSION,
  type Receipt,
  type Resource,
  resources,
  type SendMessage,
  type SendMessageInput,
  sendMessageSchema,
  serverOnlyResources,
  singleConversationId,
} from "./messaging/envelope.js";
export {
  type AckResult,
  type ClientToServerEvents,
  DEFAULT_SYNC_LIMIT,
  MAX_SYNC_LIMIT,
  type ServerToClientEvents,
  type SessionEndReason,
  type SyncCursors,
  type SyncedConversation,
  type SyncRequest,
  type SyncResponse,
  sessionEndReasons,
  syncCursorsSchema,
  syncedConversationSchema,
  syncRequestSchema,
  syncResponseSchema,
} from "./messaging/events.js";
export {
  type DeliveredMedia,
  deliveredMediaSchema,
  isMediaMessageType,
  type MediaKind,
  type MediaMessageType,
  type MessageMedia,
  mediaFitsType,
  mediaKinds,
  mediaMessageTypes,
  messageMediaSchema,
  uploadIdSchema,
} from "./messaging/media.js";
export {
  isClientSendable,
  isMessageType,
  type MessageCategory,
  type MessageOrigin,
  type MessageTypeCode,
  type MessageTypeName,
  messageType,
  messageTypes,
} from "./messaging/message-types.js";
export { isWellFormed, parseOrThrow, utf8ByteLength, zodIssues } from "./validation.js";
