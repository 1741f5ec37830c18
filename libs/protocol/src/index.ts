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
