import type { Models } from "@im/data";
import { copiesOf, findCopy, groupRoomId, type MessageStore, singleParties } from "@im/messaging";

/** What the access rule reads: the models and the sharded message store. */
export interface AccessDeps {
  models: Pick<Models, "mediaGrants" | "roomShares" | "roomMembers">;
  messages: MessageStore;
}

/** Most grants of one upload examined per check (an upload forwarded into more conversations than this is served to its first ones). */
export const MAX_GRANTS_CHECKED = 200;

/**
 * May `userId` fetch the upload? True for its owner; for a member of a room it is shared in (shiku_room_share);
 * and for a party of a message that carries it (media_grants) while that message is visible to them: their
 * copy exists and is neither recalled nor a tombstone (burnt, deleted), and in a room they are a member who
 * joined before it was sent and did not delete it from their view since (clearedSeq below it). So a recalled or burnt message's media stop being served (issue 11 §2).
 * Reads MongoDB only; throws what the driver throws.
 */
export async function canAccessUpload(deps: AccessDeps, userId: number, upload: { _id: string; ownerId: number }): Promise<boolean> {
  if (upload.ownerId === userId) return true;
  const shares = await deps.models.roomShares.find({ uploadId: upload._id }, { roomId: 1 }).limit(MAX_GRANTS_CHECKED).lean();
  for (const share of shares) {
    if (await deps.models.roomMembers.exists({ roomId: share.roomId, userId })) return true;
  }
  const grants = await deps.models.mediaGrants.find({ uploadId: upload._id }).limit(MAX_GRANTS_CHECKED).lean();
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
