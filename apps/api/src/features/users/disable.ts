import { revokeAllSessions } from "@im/auth";
import { type Models, UserStatus } from "@im/data";
import type { Redis } from "@im/infra";
import type { Logger } from "@im/telemetry";
import { removeSessionDevices } from "../push/devices.js";

/**
 * Disables an account (status -1: it can no longer log in and is hidden from search) and ends every one of
 * its sessions, so its open sockets are disconnected on every gateway with reason `disabled`, and removes its
 * push devices (no more offline pushes). The one way
 * to disable a user: an admin tool or script must call this rather than set `status` itself.
 */
export async function disableUser(deps: { models: Models; redis: Redis; logger: Pick<Logger, "warn"> }, userId: number): Promise<void> {
  await deps.models.users.updateOne({ userId }, { $set: { status: UserStatus.disabled, modifyTime: Date.now() } });
  await revokeAllSessions(deps.redis, userId, "disabled");
  await removeSessionDevices(deps, userId);
}
