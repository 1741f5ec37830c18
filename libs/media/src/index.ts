export { type AccessDeps, canAccessUpload, MAX_GRANTS_CHECKED, messageVisibleTo } from "./access.js";
export {
  allowedTypes,
  isAllowedType,
  type ProcessedMedia,
  type ProcessOptions,
  processMedia,
  type SniffedType,
  type StepTiming,
  sniffFile,
  ToolError,
  UNKNOWN_CONTENT_TYPE,
} from "./process/index.js";
