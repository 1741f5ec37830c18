import { type MessageTypeCode, messageTypes } from "@im/protocol";

/**
 * How a stored message notifies offline devices:
 * - `alert`: a visible notification (title, preview, badge, sound);
 * - `call`: a call invite — a VoIP push on iOS (APNs push type voip, topic `<bundle>.voip`), a high-priority
 *   data message on Android; short-lived;
 * - `call-cancel`: the call ended or was answered elsewhere — sent like `call` so the ringing device stops.
 */
export type PushKind = "alert" | "call" | "call-cancel";

/** Who is told: the message's recipients, or the sender's own other devices (a call answered on one of them). */
export type PushAudience = "recipients" | "sender-devices";

export interface PushPolicy {
  kind: PushKind;
  audience: PushAudience;
}

const alert: PushPolicy = { kind: "alert", audience: "recipients" };
const call: PushPolicy = { kind: "call", audience: "recipients" };
const callCancel: PushPolicy = { kind: "call-cancel", audience: "recipients" };
const answeredHere: PushPolicy = { kind: "call-cancel", audience: "sender-devices" };

/**
 * Message types that notify beyond the content category (every `content` type alerts: text, media, card,
 * link, red packet, ...). Friend notices that ask or tell something (greet = request 500, agree 501, reply
 * 502, follow 503, direct add 508); a member added to a room (907: an invitation, to the users added); red
 * packet received (83); moments' notices (27, 301, 302, 304). Calls: invites 100/110/115/120; the caller's
 * end 104/114 cancels the ringing; an accept or reject (102/103/112/113) stops the callee's other devices.
 * Never: typing and other relays (not stored), read receipts 26, recalls 202, tips, room housekeeping, live.
 */
const byType: Partial<Record<MessageTypeCode, PushPolicy>> = {
  27: alert,
  83: alert,
  100: call,
  110: call,
  115: call,
  120: call,
  104: callCancel,
  114: callCancel,
  102: answeredHere,
  103: answeredHere,
  112: answeredHere,
  113: answeredHere,
  301: alert,
  302: alert,
  304: alert,
  500: alert,
  501: alert,
  502: alert,
  503: alert,
  508: alert,
  907: alert,
};

/** The push policy of a message type, or null when it never notifies (issue 12 §2; seed push project). */
export function pushPolicyOf(type: number): PushPolicy | null {
  const explicit = byType[type as MessageTypeCode];
  if (explicit) return explicit;
  const def = messageTypes[type as MessageTypeCode];
  return def?.category === "content" ? alert : null;
}
