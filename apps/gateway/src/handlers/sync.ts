import { syncConversations } from "@im/messaging";
import { type AckResult, AppError, type SyncResponse, syncRequestSchema } from "@im/protocol";
import type { GatewayDeps, ImSocket } from "../context.js";

/**
 * `sync`: the messages this device lacks, per conversation, after its cursors (offline messages), and
 * the `nextCursor` it may store (libs/messaging sync.ts; the rule is in docs/messaging.md, "Guarantees").
 */
export async function sync(deps: GatewayDeps, socket: ImSocket, payload: unknown): Promise<AckResult<SyncResponse>> {
  const parsed = syncRequestSchema.safeParse(payload ?? {});
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
