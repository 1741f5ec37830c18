import type { Redis } from "@im/infra";

/**
 * Which session a push device (token) belongs to now, as its last registration or removal left it: the session's
 * tokenHash, or "-" once removed. Written by the API before it changes the device record; read by the push app's
 * sender before each send, so a notification planned for one owner never reaches a token that has since moved
 * to another user or session, without a database read per notification.
 */
export const deviceOwnerKey = (deviceId: string) => `im:push:device-owner:${deviceId}`;

/** How long an owner mark is kept (s): longer than any planned notification waits to be sent. */
export const DEVICE_OWNER_TTL_SECONDS = 7 * 86_400;

/** The value of a removed device's owner mark. */
export const DEVICE_REMOVED = "-";

/** Records the device's new owner session (its tokenHash), or that it was removed (null). */
export async function markDeviceOwner(redis: Redis, deviceId: string, tokenHash: string | null): Promise<void> {
  await redis.set(deviceOwnerKey(deviceId), tokenHash ?? DEVICE_REMOVED, "EX", DEVICE_OWNER_TTL_SECONDS);
}

/**
 * True when a send planned for the session `tokenHash` may still go to the device: no owner mark (no change
 * known within DEVICE_OWNER_TTL_SECONDS), or the mark names that session.
 */
export const ownerStillIs = (mark: string | null, tokenHash: string): boolean => mark === null || mark === tokenHash;
