import { pushProviders } from "@im/data";
import { z } from "zod";

/**
 * One entry of the `im:push:sends` stream: one notification for one registered device, planned from one
 * push event (planner.ts) and sent by any worker (sender.ts). Parsed with this schema when read; a malformed
 * entry is acknowledged and logged, never retried.
 */
export const sendEntrySchema = z.object({
  v: z.literal(1),
  messageId: z.string().min(1).max(128),
  conversationId: z.string().min(1).max(128),
  userId: z.number().int(),
  /** push_devices `_id` (sha256 of "<provider>:<token>"): the push log's device and the idempotency key. */
  deviceId: z.string().min(1).max(128),
  /** The device's session key (Redis `auth:session:<tokenHash>` exists while the session lives). */
  tokenHash: z.string().min(1).max(128),
  provider: z.enum(pushProviders),
  token: z.string().min(1).max(4096),
  appId: z.string().max(256),
  environment: z.enum(["sandbox", "production"]),
  /** When the message was stored, epoch ms (im_push_event_latency_seconds). */
  serverTime: z.number().int(),
  notification: z.object({
    kind: z.enum(["alert", "call", "call-cancel"]),
    title: z.string().max(1024),
    body: z.string().max(4096),
    badge: z.number().int().min(0).optional(),
    collapseId: z.string().max(64),
    data: z.record(z.string(), z.string()),
    expiresAt: z.number().int(),
    priority: z.enum(["high", "normal"]),
  }),
});
export type SendEntry = z.infer<typeof sendEntrySchema>;
