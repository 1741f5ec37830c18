import { DEFAULT_SYNC_LIMIT, MAX_SYNC_LIMIT, syncConversations } from "@im/messaging";
import { type AckResult, AppError, type SyncedConversation } from "@im/protocol";
import { z } from "zod";
import type { GatewayDeps, ImSocket } from "../context.js";

const syncSchema = z.object({
  cursors: z.record(z.string().regex(/^[sg]_[A-Za-z0-9_-]{1,80}$/), z.number().int().min(0)).default({}),
  limit: z.number().int().min(1).max(MAX_SYNC_LIMIT).default(DEFAULT_SYNC_LIMIT),
});

/** `sync`: the messages this device lacks, per conversation, after its cursors (offline messages). */
export async function sync(
  deps: GatewayDeps,
  socket: ImSocket,
  payload: unknown,
): Promise<AckResult<{ conversations: SyncedConversation[] }>> {
  const parsed = syncSchema.safeParse(payload ?? {});
  if (!parsed.success) {
    throw new AppError("VALIDATION_FAILED", {
      issues: parsed.error.issues.map((issue) => ({ field: issue.path.join(".") || "sync", message: issue.message })),
    });
  }
  const admitted = await deps.syncAdmission.run(() =>
    syncConversations(deps.store, socket.data.userId, parsed.data.cursors, parsed.data.limit),
  );
  if (admitted.refused) {
    deps.metrics.syncRefused.inc();
    throw new AppError("BUSY_RETRY");
  }
  const conversations = admitted.value;
  deps.metrics.syncRequests.inc();
  deps.metrics.syncMessagesServed.inc(conversations.reduce((sum, c) => sum + c.messages.length, 0));
  return { ok: true, conversations };
}
