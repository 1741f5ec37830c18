import assert from "node:assert/strict";
import type { ImClient } from "@im/client";
import type { AckResult, DeliveredMessage, Receipt, SendMessageInput } from "@im/protocol";
import type { RealtimeWorld } from "./realtime.js";
import type { TestUser } from "./users.js";

/** Sends one event and returns the raw acknowledgement (no resends): for refusals. */
export function sendRaw(client: ImClient, message: Omit<SendMessageInput, "messageId"> & { messageId?: string }) {
  return client.socket
    .timeout(5_000)
    .emitWithAck("message:send", { messageId: crypto.randomUUID(), ...message } as SendMessageInput) as Promise<
    AckResult<{ receipt: Receipt }>
  >;
}

export const keyOf = (result: AckResult<unknown>) => (result.ok ? "ok" : result.error.key);

export interface History {
  messages: Array<DeliveredMessage & { readCount?: number }>;
  hasMore: boolean;
}

export async function historyOf(world: RealtimeWorld, user: TestUser, conversationId: string): Promise<History> {
  const reply = await world.api.get<History>(`/v1/conversations/${conversationId}/messages?limit=100`, user.token);
  assert.equal(reply.status, 200, JSON.stringify(reply.body));
  return reply.body;
}
