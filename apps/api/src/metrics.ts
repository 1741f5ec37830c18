import type { Publisher } from "@im/messaging";
import { type DeliveredMessage, messageTypes } from "@im/protocol";
import { Counter, type Registry } from "@im/telemetry";

type Emitter = { emit: (event: string, ...args: unknown[]) => boolean };

/**
 * Wraps the API's publisher so every message it pushes (friend notices, room events: system messages from
 * 10005) counts in `im_api_system_messages_total{type}`, once per message whatever its recipient count.
 */
export function countingPublisher(publisher: Publisher, registry: Registry): Publisher {
  const sent = new Counter({
    name: "im_api_system_messages_total",
    help: "System messages (friend notices, room events) the API pushed to users, by message type",
    labelNames: ["type"],
    registers: [registry],
  });
  const counted = (target: Emitter): Emitter => ({
    emit(event, ...args) {
      if (event === "message") {
        const type = (args[0] as DeliveredMessage).type;
        sent.inc({ type: messageTypes[type as keyof typeof messageTypes]?.name ?? "unknown" });
      }
      return target.emit(event, ...args);
    },
  });
  const to = (room: string | string[]) => {
    const target = publisher.to(room) as unknown as Emitter & { except(room: string | string[]): Emitter };
    return { ...counted(target), except: (except: string | string[]) => counted(target.except(except)) };
  };
  return { to: to as unknown as Publisher["to"], close: () => publisher.close() };
}
