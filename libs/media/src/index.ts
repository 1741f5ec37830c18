export { type AccessDeps, canAccessUpload, MAX_GRANTS_CHECKED, messageVisibleTo } from "./access.js";
export { avatarUrl, isOwnAvatarUrl, mediaThumbUrl, mediaUrl } from "./urls.js";
