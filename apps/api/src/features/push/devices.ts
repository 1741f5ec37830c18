import { createHash } from "node:crypto";
import { type AuthInfo, sessionTimesLeft } from "@im/auth";
import type { Models, PushDeviceDoc, PushProviderName } from "@im/data";
import { type Redis, withLocks } from "@im/infra";
import { AppError } from "@im/protocol";
import { markDeviceOwner } from "@im/push";
import type { Logger } from "@im/telemetry";
import type { z } from "zod";
import type { ApiDeps } from "../../context.js";
import type { deviceSchema, registerDeviceBody } from "./schemas.js";

/** A push device's `_id`: sha256("<provider>:<token>") hex, so one token has one record and one owner. */
export const pushDeviceId = (provider: PushProviderName, token: string): string =>
  createHash("sha256").update(`${provider}:${token}`).digest("hex");

type DeviceRecord = PushDeviceDoc & { _id: string };

export function toDeviceView(device: DeviceRecord, currentSessionId: string): z.input<typeof deviceSchema> {
  return {
    id: device._id,
    provider: device.provider as PushProviderName,
    appId: device.appId,
    environment: device.environment === "sandbox" ? "sandbox" : "production",
    locale: device.locale,
    sessionId: device.sessionId,
    resource: device.resource,
    deviceId: device.deviceId,
    current: device.sessionId === currentSessionId,
    createTime: device.createTime,
    modifyTime: device.modifyTime,
  };
}

/**
 * Registers the push token of the calling session for one provider (issue 12 §1). The record's `_id` is
 * sha256(provider:token), written by replaceOne (upsert): a token another user or session registered
 * before moves to this one (one token, one user — a phone that changed hands). The session's previous
 * token of this provider, if another, is removed (a session has one token per provider; an iPhone holds
 * `apns` and `apns-voip`). Serialised per session by a Redis lock, so two concurrent registrations leave
 * one token. Returns the stored record.
 */
export async function registerDevice(deps: ApiDeps, auth: AuthInfo, body: z.output<typeof registerDeviceBody>): Promise<DeviceRecord> {
  const id = pushDeviceId(body.provider, body.token);
  return withLocks(deps.redis, [`lock:push:session:${auth.sessionId}`], async () => {
    const now = Date.now();
    const existing = await deps.models.pushDevices.findById(id).lean<DeviceRecord>();
    const same = existing?.userId === auth.userId && existing.sessionId === auth.sessionId;
    const record: DeviceRecord = {
      _id: id,
      userId: auth.userId,
      sessionId: auth.sessionId,
      tokenHash: auth.tokenHash,
      deviceId: auth.deviceId,
      resource: auth.resource,
      provider: body.provider,
      token: body.token,
      appId: body.appId,
      environment: body.environment,
      locale: body.locale,
      createTime: same && existing ? existing.createTime : now,
      modifyTime: now,
    };
    // The owner mark first: if the record write then fails, pending sends of the previous owner are held back
    // (safe); the other order could let them reach this session's phone.
    await markDeviceOwner(deps.redis, id, auth.tokenHash);
    await deps.models.pushDevices.replaceOne({ _id: id }, record, { upsert: true });
    await deps.models.pushDevices.deleteMany({ sessionId: auth.sessionId, provider: body.provider, _id: { $ne: id } });
    return record;
  });
}

/** My push devices (every session's), newest first. */
export async function listDevices(models: Models, userId: number): Promise<DeviceRecord[]> {
  return models.pushDevices.find({ userId }).sort({ modifyTime: -1, _id: 1 }).lean<DeviceRecord[]>();
}

/** Removes one of my push devices (its owner mark first: pending sends to it stop). @throws AppError PUSH_DEVICE_NOT_FOUND when no device of mine has this id. */
export async function removeDevice(models: Models, redis: Redis, userId: number, deviceId: string): Promise<void> {
  const device = await models.pushDevices.findOne({ _id: deviceId, userId }, { _id: 1 }).lean();
  if (device) await markDeviceOwner(redis, deviceId, null);
  const result = await models.pushDevices.deleteOne({ _id: deviceId, userId });
  if (result.deletedCount === 0) throw new AppError("PUSH_DEVICE_NOT_FOUND");
}

/** What removing ended sessions' devices needs. */
export interface DeviceCleanupDeps {
  models: Models;
  redis: Redis;
  logger: Pick<Logger, "warn">;
}

/**
 * Removes push devices after sessions ended (logout, sign-out of another device, password change or
 * reset, account disabled): `sessionIds` given → those sessions' devices; absent → every device of the
 * user. Best effort after the revocation itself: a failure is logged, not thrown — the push app skips and
 * removes any device whose session no longer exists (auth:session:<tokenHash>), so nothing is sent to it.
 */
export async function removeSessionDevices(deps: DeviceCleanupDeps, userId: number, sessionIds?: readonly string[]): Promise<void> {
  const filter = sessionIds ? { userId, sessionId: { $in: [...sessionIds] } } : { userId };
  await deps.models.pushDevices.deleteMany(filter).catch((error: unknown) => {
    deps.logger.warn({ err: error, userId }, "push devices of ended sessions not removed (the push app prunes them)");
  });
}

/**
 * Removes the user's push devices whose session no longer lives (revoked by a newer login: same device,
 * single-device mode, too many sessions; or expired), read in one Redis round trip. Best effort, as above.
 */
export async function removeEndedSessionDevices(deps: DeviceCleanupDeps, userId: number): Promise<void> {
  try {
    const devices = await deps.models.pushDevices
      .find({ userId }, { _id: 1, tokenHash: 1 })
      .lean<Array<{ _id: string; tokenHash: string }>>();
    if (devices.length === 0) return;
    const left = await sessionTimesLeft(
      deps.redis,
      devices.map((device) => device.tokenHash),
    );
    const ended = devices.filter((_, i) => left[i] === null).map((device) => device._id);
    if (ended.length > 0) await deps.models.pushDevices.deleteMany({ _id: { $in: ended }, userId });
  } catch (error) {
    deps.logger.warn({ err: error, userId }, "push devices of ended sessions not removed (the push app prunes them)");
  }
}
