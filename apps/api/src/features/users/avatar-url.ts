import { isOwnAvatarUrl } from "@im/media";
import { AppError } from "@im/protocol";

/**
 * Checks an `avatarUrl` a client asks to set (profile or room update): "" clears it; anything else must be
 * the avatar URL the upload app gives for this very user or room — `${MEDIA_PUBLIC_URL}/v1/avatars/<users|rooms>/<id>?v=<version>`
 * (isOwnAvatarUrl of @im/media, and the same owner and id) — never an arbitrary address (issue 11 §2).
 * The upload app sets it itself after an avatar upload; this only lets a client put back such a URL.
 * @throws AppError AVATAR_URL_NOT_ALLOWED (400).
 */
export function checkAvatarUrl(base: string, url: string, owner: "users" | "rooms", id: string | number): void {
  if (url === "") return;
  const own = isOwnAvatarUrl(base, url) && url.startsWith(`${base}/v1/avatars/${owner}/${id}?`);
  if (!own) {
    throw new AppError("AVATAR_URL_NOT_ALLOWED", {
      issues: [
        { field: "body.avatarUrl", message: `must be "" or this ${owner === "users" ? "user" : "room"}'s avatar URL from the upload app` },
      ],
    });
  }
}
