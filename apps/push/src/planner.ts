import { createHash } from "node:crypto";
import type { Models, PushDeviceDoc, PushProviderName } from "@im/data";
import type { Redis } from "@im/infra";
import { chatTypes, type MessageTypeCode, messageTypes } from "@im/protocol";
import { countForBadge, type PushEvent, recalledKey } from "@im/push";
import type { PushMetrics, SkipReason } from "./metrics.js";
import type { SendEntry } from "./send-entry.js";
import { languageOf, notificationText } from "./texts.js";

/** What planning needs: the stores, the providers this deployment has, and the notification lifetimes. */
export interface PlannerDeps {
  redis: Redis;
  models: Models;
  metrics: PushMetrics;
  /** Device providers some configured provider client serves; devices of others are skipped (provider_disabled). */
  enabled: ReadonlySet<PushProviderName>;
  /** How long providers keep an undelivered alert, s (PUSH_ALERT_TTL_SECONDS). */
  alertTtlSeconds: number;
  /** How long providers keep an undelivered call invite or cancel, s (PUSH_CALL_TTL_SECONDS). */
  callTtlSeconds: number;
}

const presenceKey = (userId: number) => `im:presence:${userId}`;
/** Documents per reply of the planner's finds: a whole room's in the first reply, no getMore round trips. */
const READ_BATCH = 10_000;

/** A collapse id of at most 64 bytes (APNs apns-collapse-id limit): the readable form, or a hash of it. */
export function collapseIdOf(prefix: string, conversationId: string): string {
  const readable = `${prefix}${conversationId}`;
  if (Buffer.byteLength(readable) <= 64) return readable;
  return `${prefix}${createHash("sha256").update(conversationId).digest("base64url").slice(0, 40)}`;
}

/** Users with at least one live socket (presence zset member whose expiry is still ahead): one pipeline. */
async function onlineUsers(redis: Redis, userIds: readonly number[], now: number): Promise<Set<number>> {
  if (userIds.length === 0) return new Set();
  const pipeline = redis.pipeline();
  for (const userId of userIds) pipeline.zcount(presenceKey(userId), now, "+inf");
  const results = (await pipeline.exec()) ?? [];
  const online = new Set<number>();
  results.forEach(([error, count], index) => {
    if (error) throw error;
    const userId = userIds[index];
    if (userId !== undefined && Number(count) > 0) online.add(userId);
  });
  return online;
}

/**
 * The devices one notification goes to among a user's registrations: alerts skip `apns-voip` tokens; calls
 * and their cancels go to a session's `apns-voip` token when it has one (VoIP push), else to its other token.
 */
export function devicesForKind(devices: readonly PushDeviceDoc[], kind: PushEvent["kind"]): PushDeviceDoc[] {
  if (kind === "alert") return devices.filter((device) => device.provider !== "apns-voip");
  const voipSessions = new Set(devices.filter((d) => d.provider === "apns-voip").map((d) => d.sessionId));
  return devices.filter((device) => device.provider === "apns-voip" || !(device.provider === "apns" && voipSessions.has(device.sessionId)));
}

/**
 * Plans one push event (issue 12 §2) into per-device send entries, reading each store once for all
 * recipients (a 500-member room is one presence pipeline and one find per collection); a message recalled
 * meanwhile plans nothing (`recalled`):
 * 1. presence — a user with any live socket is skipped (`online`);
 * 2. the user's `offlineNoPush` (`offline_no_push`) — nothing passes it;
 * 3. any chat: the recipient blocked the sender (a notice's actor) — nothing passes it, mentions neither (`blocked`);
 *    single chats: the recipient's friendship to the sender (a friend notice's actor) with `offlineNoPushMsg` (`friend_dnd`);
 *    rooms: no longer a member (`not_member`: removed or left since the message), the member's
 *    `offlineNoPushMsg` (`room_dnd`) — an @mention (by id, or @all) passes it when the
 *    user's `pushMentions` is on; any conversation: a conversation_mutes record (`conversation_muted`),
 *    passed by mentions in rooms likewise;
 * 4. devices (`no_device`), of enabled providers (`provider_disabled`, per device), by kind (devicesForKind);
 * 5. alerts count once per (user, message) on the user's badge (countForBadge) and carry it.
 * The sender's own devices (audience `sender-devices`: a call answered elsewhere) skip 1–3 and leave out the
 * answering session. Counts every skip on im_push_skipped_total; returns the entries to append.
 */
export async function planEvent(deps: PlannerDeps, event: PushEvent, now = Date.now()): Promise<SendEntry[]> {
  const { models, metrics } = deps;
  const skip = (reason: SkipReason, count = 1) => {
    if (count > 0) metrics.skipped.inc({ reason }, count);
  };
  const own = event.audience === "sender-devices";
  const recipients = own ? [event.fromUserId] : event.recipients.filter((id) => id !== event.fromUserId);
  if (recipients.length === 0) return [];
  const isRoom = event.chatType === chatTypes.group;

  // Recalled while its push waited in the queue: nothing goes out (the docs' "never a recalled message").
  if ((await deps.redis.exists(recalledKey(event.messageId))) > 0) {
    skip("recalled", recipients.length);
    return [];
  }
  const online = own ? new Set<number>() : await onlineUsers(deps.redis, recipients, now);
  skip("online", online.size);
  let candidates = recipients.filter((id) => !online.has(id));
  if (candidates.length === 0) return [];

  const [users, room] = await Promise.all([
    models.users
      .find({ userId: { $in: [...candidates, event.actorUserId ?? event.fromUserId] } }, { userId: 1, nickname: 1, settings: 1 })
      .batchSize(READ_BATCH)
      .lean(),
    isRoom ? models.rooms.findOne({ roomId: event.to }, { name: 1 }).lean() : Promise.resolve(null),
  ]);
  const byId = new Map(users.map((user) => [user.userId, user]));
  if (!own) {
    const before = candidates.length;
    candidates = candidates.filter((id) => byId.get(id)?.settings?.offlineNoPush !== 1);
    skip("offline_no_push", before - candidates.length);
  }

  const mentioned = (id: number): "me" | "all" | undefined =>
    !isRoom ? undefined : event.atUserIds?.includes(id) ? "me" : event.atAll ? "all" : undefined;
  const passes = (id: number) => mentioned(id) !== undefined && byId.get(id)?.settings?.pushMentions !== 0;

  if (!own && candidates.length > 0) {
    const actor = event.actorUserId ?? event.fromUserId;
    const [friendships, members, mutes] = await Promise.all([
      // The recipients' records toward the sender (or a notice's actor): blocked (any chat), do-not-disturb (single chats).
      models.friendships
        .find(
          { userId: { $in: candidates }, toUserId: actor, $or: [{ blacklist: 1 }, ...(isRoom ? [] : [{ offlineNoPushMsg: 1 }])] },
          { userId: 1, blacklist: 1, offlineNoPushMsg: 1 },
        )
        .batchSize(READ_BATCH)
        .lean(),
      isRoom
        ? models.roomMembers
            .find({ roomId: event.to, userId: { $in: candidates } }, { userId: 1, offlineNoPushMsg: 1 })
            .batchSize(READ_BATCH)
            .lean()
        : Promise.resolve([]),
      models.conversationMutes
        .find({ conversationId: event.conversationId, userId: { $in: candidates } }, { userId: 1 })
        .batchSize(READ_BATCH)
        .lean(),
    ]);
    const blocked = new Set(friendships.filter((doc) => doc.blacklist === 1).map((doc) => doc.userId));
    const friendSilenced = new Set(friendships.filter((doc) => !isRoom && doc.offlineNoPushMsg === 1).map((doc) => doc.userId));
    const memberIds = new Set(members.map((doc) => doc.userId));
    const roomSilenced = new Set(members.filter((doc) => doc.offlineNoPushMsg === 1).map((doc) => doc.userId));
    const muted = new Set(mutes.map((doc) => doc.userId));
    const silence = (id: number): SkipReason | undefined => {
      if (isRoom && !memberIds.has(id)) return "not_member";
      if (blocked.has(id)) return "blocked";
      if (friendSilenced.has(id)) return "friend_dnd";
      if (roomSilenced.has(id) && !passes(id)) return "room_dnd";
      if (muted.has(id) && !(isRoom && passes(id))) return "conversation_muted";
      return undefined;
    };
    candidates = candidates.filter((id) => {
      const reason = silence(id);
      if (reason) skip(reason);
      return reason === undefined;
    });
  }
  if (candidates.length === 0) return [];

  const registered = await models.pushDevices
    .find({ userId: { $in: candidates } })
    .batchSize(READ_BATCH)
    .lean();
  const devicesByUser = new Map<number, PushDeviceDoc[]>();
  for (const device of registered) {
    if (own && event.fromSessionId && device.sessionId === event.fromSessionId) continue;
    const list = devicesByUser.get(device.userId) ?? [];
    list.push(device);
    devicesByUser.set(device.userId, list);
  }
  const targets: Array<{ userId: number; devices: PushDeviceDoc[] }> = [];
  for (const userId of candidates) {
    const devices = devicesForKind(devicesByUser.get(userId) ?? [], event.kind);
    const usable = devices.filter((device) => deps.enabled.has(device.provider as PushProviderName));
    skip("provider_disabled", devices.length - usable.length);
    if (usable.length === 0) {
      if (devices.length === 0) skip("no_device");
      continue;
    }
    targets.push({ userId, devices: usable });
  }
  if (targets.length === 0) return [];

  // Badges: one EVAL per user, issued together (the client pipelines them on one connection).
  const badges =
    event.kind === "alert"
      ? await Promise.all(targets.map((target) => countForBadge(deps.redis, target.userId, event.messageId)))
      : targets.map(() => undefined);

  // A friend notice names the user who acted, not the system account that sent it. The sender's nickname as
  // stored wins over the message's fromUserName, which the sending client wrote (a title saying "Your Bank").
  const senderName =
    event.actorUserId !== undefined
      ? byId.get(event.actorUserId)?.nickname || String(event.actorUserId)
      : byId.get(event.fromUserId)?.nickname || event.fromUserName || String(event.fromUserId);
  const ttlSeconds = event.kind === "alert" ? deps.alertTtlSeconds : deps.callTtlSeconds;
  const category = messageTypes[event.type as MessageTypeCode]?.category;
  const priority = event.kind !== "alert" || category === "content" ? "high" : "normal";
  const collapseId = collapseIdOf(event.kind === "alert" ? "" : "call:", event.conversationId);
  const data = {
    conversationId: event.conversationId,
    messageId: event.messageId,
    chatType: String(event.chatType),
    type: String(event.type),
    fromUserId: String(event.fromUserId),
    seq: String(event.seq),
    kind: event.kind,
  };

  const entries: SendEntry[] = [];
  targets.forEach(({ userId, devices }, index) => {
    const settings = byId.get(userId)?.settings;
    const badge = badges[index];
    const mention = mentioned(userId);
    for (const device of devices) {
      const text = notificationText(
        {
          kind: event.kind,
          type: event.type,
          ...(event.text ? { text: event.text } : {}),
          senderName,
          ...(isRoom ? { roomName: room?.name ?? "" } : {}),
          preview: settings?.pushPreview !== 0,
          ...(mention ? { mention } : {}),
        },
        languageOf(device.locale ?? "zh"),
      );
      entries.push({
        v: 1,
        messageId: event.messageId,
        conversationId: event.conversationId,
        userId,
        deviceId: device._id,
        tokenHash: device.tokenHash,
        provider: device.provider as PushProviderName,
        token: device.token,
        appId: device.appId,
        environment: device.environment === "sandbox" ? "sandbox" : "production",
        serverTime: event.serverTime,
        notification: {
          kind: event.kind,
          title: text.title,
          body: text.body,
          ...(badge !== undefined ? { badge } : {}),
          collapseId,
          data,
          expiresAt: event.serverTime + ttlSeconds * 1_000,
          priority,
        },
      });
    }
  });
  return entries;
}
