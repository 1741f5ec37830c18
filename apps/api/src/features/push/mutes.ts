import { AppError } from "@im/protocol";
import type { ApiDeps } from "../../context.js";

/** Duplicate key (E11000): the mute exists already. */
const isDuplicateKey = (error: unknown) => (error as { code?: number }).code === 11000;

/**
 * The conversation is mine to mute: a single chat whose id names me (s_<a>_<b>, a < b), or a room I am a
 * member of (g_<roomId>). @throws AppError CONVERSATION_NOT_FOUND otherwise.
 */
async function requireMine(deps: ApiDeps, userId: number, conversationId: string): Promise<void> {
  if (conversationId.startsWith("s_")) {
    const [a, b] = conversationId.slice(2).split("_").map(Number);
    if (a !== undefined && b !== undefined && a < b && (a === userId || b === userId)) return;
    throw new AppError("CONVERSATION_NOT_FOUND");
  }
  const roomId = conversationId.slice(2);
  if (!(await deps.models.roomMembers.exists({ roomId, userId }))) throw new AppError("CONVERSATION_NOT_FOUND");
}

/**
 * Mutes a conversation for my offline push (present = muted; the push app skips it, reason
 * conversation_muted). Idempotent: the unique (userId, conversationId) index keeps one record.
 * @throws AppError CONVERSATION_NOT_FOUND when it is not one of mine.
 */
export async function muteConversation(deps: ApiDeps, userId: number, conversationId: string): Promise<{ createTime: number }> {
  await requireMine(deps, userId, conversationId);
  const existing = await deps.models.conversationMutes.findOne({ userId, conversationId }).lean();
  if (existing) return { createTime: existing.createTime };
  const createTime = Date.now();
  try {
    await deps.models.conversationMutes.create({ userId, conversationId, createTime });
    return { createTime };
  } catch (error) {
    if (!isDuplicateKey(error)) throw error;
    const raced = await deps.models.conversationMutes.findOne({ userId, conversationId }).lean();
    return { createTime: raced?.createTime ?? createTime };
  }
}

/** Unmutes a conversation (idempotent: unmuting one that is not muted is fine). */
export async function unmuteConversation(deps: ApiDeps, userId: number, conversationId: string): Promise<void> {
  await deps.models.conversationMutes.deleteMany({ userId, conversationId });
}
