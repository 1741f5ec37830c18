/**
 * The public URLs of media (the contract between the upload app and the message layer): they start with
 * MEDIA_PUBLIC_URL, the upload app's address as clients reach it. A trailing slash of the base is ignored.
 */

const trim = (base: string) => base.replace(/\/+$/, "");

/** `${base}/v1/media/<uploadId>`: an upload's bytes (the seed's oUrl). */
export function mediaUrl(base: string, uploadId: string): string {
  return `${trim(base)}/v1/media/${uploadId}`;
}

/** `${base}/v1/media/<uploadId>/thumb`: an image's thumbnail or a video's poster (the seed's tUrl). */
export function mediaThumbUrl(base: string, uploadId: string): string {
  return `${trim(base)}/v1/media/${uploadId}/thumb`;
}

/** `${base}/v1/avatars/<users|rooms>/<id>?v=<version>`: a stable avatar URL; the version busts caches. */
export function avatarUrl(base: string, scope: "users" | "rooms", id: string | number, version: number): string {
  return `${trim(base)}/v1/avatars/${scope}/${id}?v=${version}`;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * True only for an avatar URL exactly as `avatarUrl(base, …)` makes it: the same base, `users/<digits>` or
 * `rooms/<24 or 32 hex digits>`, `?v=<digits>` and nothing else (no other query, fragment, path or host).
 * This is how `avatarUrl` fields accept only our own avatars (AVATAR_URL_NOT_ALLOWED otherwise).
 */
export function isOwnAvatarUrl(base: string, url: string): boolean {
  const pattern = new RegExp(
    `^${escapeRegExp(trim(base))}/v1/avatars/(?:users/[1-9][0-9]{0,14}|rooms/(?:[0-9a-f]{24}|[0-9a-f]{32}))\\?v=[0-9]{1,15}$`,
  );
  return pattern.test(url);
}
