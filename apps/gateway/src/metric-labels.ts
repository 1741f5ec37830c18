import { chatTypes, messageTypes, resources } from "@im/protocol";

/** `single` or `group`: the `chat_type` label. */
export function chatTypeLabel(chatType: number): string {
  return chatType === chatTypes.group ? "group" : "single";
}

/** The registry name of a message type (`text`, `recall`, ...): the `type` label, never the raw number. */
export function messageTypeLabel(type: number): string {
  return messageTypes[type as keyof typeof messageTypes]?.name ?? "unknown";
}

/** How many distinct users other than the sender a message goes to (the sender's own room is not counted). */
export function recipientCount(recipients: readonly number[], fromUserId: number): number {
  const users = new Set(recipients);
  users.delete(fromUserId);
  return users.size;
}

/** Distinct users and devices per resource among a gateway's sockets (every known resource listed, 0 included). */
export function countSessions(sockets: Iterable<{ userId: number; resource: string }>): {
  users: number;
  devices: Map<string, number>;
} {
  const users = new Set<number>();
  const devices = new Map<string, number>(resources.map((r) => [r, 0]));
  for (const s of sockets) {
    users.add(s.userId);
    devices.set(s.resource, (devices.get(s.resource) ?? 0) + 1);
  }
  return { users: users.size, devices };
}
