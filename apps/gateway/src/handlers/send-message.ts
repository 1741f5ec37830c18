import { deliverMessage, userRoom } from "@im/messaging";
import {
  type AckResult,
  AppError,
  chatTypes,
  messageTypes,
  parseOrThrow,
  type Receipt,
  type SendMessage,
  sendMessageSchema,
} from "@im/protocol";
import type { GatewayDeps, ImSocket } from "../context.js";
import { chatTypeLabel, messageTypeLabel, recipientCount } from "../metric-labels.js";
import { groupTarget } from "../targets/group.js";
import { singleTarget } from "../targets/single.js";
import type { Target } from "../targets/target.js";
import { checkUploadField, repairGrant } from "./media.js";
import { checkMentions } from "./mentions.js";
import { checkMessageRules } from "./message-rules.js";

/** The `message:send` payload, parsed by its one schema. @throws AppError VALIDATION_FAILED naming each bad field. */
export function parseSendMessage(payload: unknown): SendMessage {
  return parseOrThrow(sendMessageSchema, payload, "", "message");
}

async function resolveTarget(deps: GatewayDeps, socket: ImSocket, message: SendMessage): Promise<Target> {
  if (message.chatType === chatTypes.single) return singleTarget(deps, socket, message);
  return groupTarget(deps, socket, message);
}

/** Types that are relayed to online devices only (typing): no seq, no storage, no sync. */
function relay(deps: GatewayDeps, socket: ImSocket, message: SendMessage, target: Target): AckResult<{ receipt: Receipt }> {
  const now = Date.now();
  deps.metrics.messagesDelivered.inc({ chat_type: chatTypeLabel(message.chatType) }, recipientCount(target.recipients, socket.data.userId));
  deps.io
    .to(target.recipients.map(userRoom))
    .except(socket.id)
    .emit("message", {
      conversationId: target.conversationId,
      seq: 0,
      messageId: message.messageId,
      chatType: message.chatType,
      fromUserId: socket.data.userId,
      fromResource: socket.data.resource,
      to: message.to,
      type: message.type,
      content: message.content,
      isEncrypt: message.isEncrypt,
      isReadDel: false,
      timeSend: message.timeSend ?? now,
      serverTime: now,
    });
  return {
    ok: true,
    receipt: { messageId: message.messageId, conversationId: target.conversationId, seq: 0, serverTime: now, duplicate: false },
  };
}

/**
 * `message:send`: validate, resolve and authorise the target, check the per-type rules (keyword filter,
 * recall, read receipt: handlers/message-rules.ts) and @mentions (handlers/mentions.ts), store durably and apply
 * them, acknowledge (the receipt of seed section 八), then deliver to the recipients' devices and the sender's
 * other devices, and queue the offline push (store.push, when PUSH_ENABLED).
 */
export async function sendMessage(deps: GatewayDeps, socket: ImSocket, payload: unknown): Promise<AckResult<{ receipt: Receipt }>> {
  const started = performance.now();
  const message = parseSendMessage(payload);
  checkUploadField(message); // media types need an upload, others may not have one: VALIDATION_FAILED
  const labels = { chat_type: chatTypeLabel(message.chatType) };
  const metrics = deps.metrics;
  metrics.messagesReceived.inc({ ...labels, type: messageTypeLabel(message.type) });
  const target = await resolveTarget(deps, socket, message);
  checkMentions(message, target); // @mentions: room text messages, members only, @everyone by owner/admins
  if (!messageTypes[message.type as keyof typeof messageTypes].stored) return relay(deps, socket, message, target);
  const checked = await checkMessageRules(deps, socket, message, target);
  // Every copy is positively stored before anything else happens (the store throws otherwise: no receipt).
  const stored = await target.store(checked.message).catch(async (error: unknown) => {
    // Lost the race for this messageId to another upload: our grant may have replaced the stored one's.
    if (checked.message.media && error instanceof AppError && error.key === "MESSAGE_ID_REUSED") {
      await repairGrant(deps, target.conversationId, checked.message.messageId);
    }
    throw error;
  });
  await checked.afterStore(stored);
  // A resend is delivered again too: if the first attempt was stored but its delivery was lost (the
  // gateway died in between), this is how the recipients' online devices get it; clients drop duplicates.
  // Not a burnt message (a tombstone), nor a repeated read receipt (one per member and message).
  const repeatedReceipt = stored.duplicate && checked.message.messageId !== message.messageId;
  if (!stored.burnt && !repeatedReceipt) deliverMessage(deps.io, stored.message, target.recipients, socket.id);
  // Offline push: one non-awaited XADD when the type notifies (libs/push queue.ts). A resend queues again —
  // its first attempt may have died before queueing; the push app sends once per message and device.
  if (!stored.burnt) deps.store.push?.notify(stored.message, target.recipients, { sessionId: socket.data.sessionId });
  if (stored.duplicate) metrics.messagesDuplicate.inc(labels);
  else metrics.messagesStored.inc({ ...labels, type: messageTypeLabel(message.type) });
  const fanout = recipientCount(target.recipients, socket.data.userId);
  metrics.messagesDelivered.inc(labels, fanout);
  if (message.chatType === chatTypes.group) metrics.groupFanout.observe(fanout);
  metrics.receiptLatency.observe(labels, (performance.now() - started) / 1000);
  const { conversationId, seq, serverTime, messageId } = stored.message;
  return { ok: true, receipt: { messageId, conversationId, seq, serverTime, duplicate: stored.duplicate } };
}
