/**
 * The public URLs of media (the contract between the upload app, the gateway and the API): all under
 * MEDIA_PUBLIC_URL, the upload app's base URL as clients reach it (no trailing slash).
 */

/** `${base}/v1/media/<uploadId>`: the original of an upload (access rule: canAccessUpload). */
export function mediaUrl(base: string, uploadId: string): string {
  return `${base}/v1/media/${uploadId}`;
}

/** `${base}/v1/media/<uploadId>/thumb`: an image's thumbnail or a video's poster. */
export function mediaThumbUrl(base: string, uploadId: string): string {
  return `${base}/v1/media/${uploadId}/thumb`;
}

/** `${base}/v1/avatars/<users|rooms>/<id>?v=<version>`: the stable avatar URL, versioned for cache busting. */
export function avatarUrl(base: string, owner: "users" | "rooms", id: string | number, version: number): string {
  return `${base}/v1/avatars/${owner}/${id}?v=${version}`;
}

/** True only for a URL of exactly avatarUrl's form under `base` (any users/rooms id, an integer version). */
export function isOwnAvatarUrl(base: string, url: string): boolean {
  const prefix = `${base}/v1/avatars/`;
  if (!url.startsWith(prefix)) return false;
  return /^(users\/\d{1,12}|rooms\/[0-9a-f]{24}(?:[0-9a-f]{8})?)\?v=\d{1,16}$/.test(url.slice(prefix.length));
}
