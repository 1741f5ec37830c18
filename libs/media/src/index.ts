export { type AccessDeps, canAccessUpload, MAX_GRANTS_CHECKED, messageVisibleTo } from "./access.js";
export {
  attachBlob,
  type BlobDeps,
  blobLockKey,
  contentIdOf,
  deleteUpload,
  multipartContentId,
  type NewBlob,
  type UploadFields,
  type UploadRecord,
} from "./blobs.js";
export { type AvatarScope, avatarKey, avatarPrefix, avatarRoot, isUploadId, newMediaKey, newThumbKey, randomId } from "./keys.js";
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
export {
  type ByteRange,
  contentDisposition,
  createObjectStorage,
  MAX_PARTS,
  MIN_PART_SIZE,
  type ObjectInfo,
  type ObjectStorage,
  type ObjectStorageOptions,
  type PresignGetOptions,
  type StorageSettings,
  type StoredPart,
  storageErrorCounter,
} from "./storage.js";
export { avatarUrl, isOwnAvatarUrl, mediaThumbUrl, mediaUrl } from "./urls.js";
