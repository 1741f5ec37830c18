// Media processing (sharp, ffmpeg) is its own entry, `@im/media/process`, so the apps that only link to or
// check media (gateway, API, scheduler) do not load libvips.
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
export { type RoomFileDeps, type RoomShare, removeRoomShare, roomFileNotice, roomFileNoticeId, unshareUpload } from "./room-files.js";
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
