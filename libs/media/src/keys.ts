import { randomBytes } from "node:crypto";

/**
 * The bucket layout (docs/architecture.md "Media"). Every key is built here from server-made parts only
 * (dates, random ids, user/room ids, versions, sizes): never from a client's file name.
 * - `media/<yyyy>/<mm>/<id>`: an upload's stored bytes (processed for images, voice, video; as is for
 *   files; multipart uploads too);
 * - `thumbs/<yyyy>/<mm>/<id>.jpg`: an image's thumbnail or a video's poster frame;
 * - `avatars/<users|rooms>/<id>/<version>/<size>.jpg`: one avatar version, one object per size.
 * Dates are UTC.
 */

/** A random 128-bit id as 32 lowercase hex digits (upload ids, object ids). */
export const randomId = (): string => randomBytes(16).toString("hex");

/** True for a 32-hex-digit id as randomId makes (upload ids in paths and messages). */
export const isUploadId = (value: string): boolean => /^[0-9a-f]{32}$/.test(value);

const yearMonth = (now: Date) => `${now.getUTCFullYear()}/${String(now.getUTCMonth() + 1).padStart(2, "0")}`;

/** A new key for an upload's bytes: `media/<yyyy>/<mm>/<random id>`. */
export const newMediaKey = (now: Date = new Date()): string => `media/${yearMonth(now)}/${randomId()}`;

/** A new key for a thumbnail or poster: `thumbs/<yyyy>/<mm>/<random id>.jpg`. */
export const newThumbKey = (now: Date = new Date()): string => `thumbs/${yearMonth(now)}/${randomId()}.jpg`;

/** Whose avatar: a user's or a room's. */
export type AvatarScope = "users" | "rooms";

/** The folder of one avatar version: `avatars/<scope>/<id>/<version>/`. */
export const avatarPrefix = (scope: AvatarScope, id: string | number, version: number): string => `avatars/${scope}/${id}/${version}/`;

/** One size of one avatar version: `avatars/<scope>/<id>/<version>/<size>.jpg` (size in px, square). */
export const avatarKey = (scope: AvatarScope, id: string | number, version: number, size: number): string =>
  `${avatarPrefix(scope, id, version)}${size}.jpg`;

/** The folder of every version of one avatar: `avatars/<scope>/<id>/`. */
export const avatarRoot = (scope: AvatarScope, id: string | number): string => `avatars/${scope}/${id}/`;
