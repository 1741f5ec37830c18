import type { Models } from "@im/data";
import { copiesOf, findCopy, groupRoomId, type MessageStore, singleParties } from "@im/messaging";

/** What the access rule reads: the models and the sharded message store. */
export interface AccessDeps {
  models: Pick<Models, "mediaGrants" | "roomShares" | "roomMembers">;
  messages: MessageStore;
}

/** Most grants of one upload examined per check, among those of the caller's own conversations, newest first. */
export const MAX_GRANTS_CHECKED = 200;

/**
 * May `userId` fetch the upload? True for its owner; for a member of a room it is shared in (shiku_room_share);
 * and for a party of a message that carries it (media_grants) while that message is visible to them: their
 * copy exists and is neither recalled nor a tombstone (burnt, deleted), and in a room they are a member who
 * joined before it was sent and did not delete it from their view since (clearedSeq below it). So a recalled
 * or burnt message's media stop being served (issue 11 §2).
 * Only grants of the caller's own conversations are read (single chats naming them, rooms they are a member
 * of), so messages in other conversations — however many a forwarder makes — cannot push theirs out of the
 * MAX_GRANTS_CHECKED examined. Reads MongoDB only; throws what the driver throws.
 */
export async function canAccessUpload(deps: AccessDeps, userId: number, upload: { _id: string; ownerId: number }): Promise<boolean> {
  if (upload.ownerId === userId) return true;
  const memberships = await deps.models.roomMembers.find({ userId }, { roomId: 1, _id: 0 }).lean();
  const roomIds = memberships.map((member) => member.roomId);
  if (roomIds.length > 0 && (await deps.models.roomShares.exists({ uploadId: upload._id, roomId: { $in: roomIds } }))) return true;
  const mine = new RegExp(`^s_(?:${userId}_[0-9]+|[0-9]+_${userId})$`);
  const grants = await deps.models.mediaGrants
    .find({ uploadId: upload._id, $or: [{ conversationId: mine }, { conversationId: { $in: roomIds.map((roomId) => `g_${roomId}`) } }] })
    .sort({ createTime: -1 })
    .limit(MAX_GRANTS_CHECKED)
    .lean();
  for (const grant of grants) {
    if (await messageVisibleTo(deps, userId, grant.conversationId, grant.messageId)) return true;
  }
  return false;
}

/** True when `userId` can see the message now: their copy (single chat) or the room's log entry after they joined. */
export async function messageVisibleTo(deps: AccessDeps, userId: number, conversationId: string, messageId: string): Promise<boolean> {
  const parties = singleParties(conversationId);
  if (parties) {
    if (!parties.includes(userId)) return false;
    const own = copiesOf(deps.messages, conversationId).find((location) => location.ownerId === userId);
    if (!own) return false;
    const copy = await findCopy(own.model, userId, conversationId, messageId);
    return copy !== null && !copy.tombstone && !copy.recalled;
  }
  const roomId = groupRoomId(conversationId);
  if (!roomId) return false;
  const member = await deps.models.roomMembers.findOne({ roomId, userId }, { joinSeq: 1 }).lean();
  if (!member) return false;
  const [log] = copiesOf(deps.messages, conversationId);
  if (!log) return false;
  const copy = await findCopy(log.model, log.ownerId, conversationId, messageId);
  if (copy === null || copy.tombstone || copy.recalled || copy.seq <= (member.joinSeq ?? 0)) return false;
  // The room's log is one shared copy: a member's "delete my copy" (or retention) raises their floor instead.
  const mine = await deps.messages.conversations.findOne({ userId, conversationId }, { clearedSeq: 1 }).lean();
  return copy.seq > (mine?.clearedSeq ?? 0);
}
