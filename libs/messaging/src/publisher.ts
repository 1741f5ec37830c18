import { reportRedisErrors } from "@im/infra";
import type { ClientToServerEvents, ServerToClientEvents } from "@im/protocol";
import { createShardedAdapter } from "@socket.io/redis-adapter";
import type { Redis } from "ioredis";
import { Server } from "socket.io";
import type { Broadcaster } from "./delivery.js";

export interface Publisher extends Broadcaster {
  close(): Promise<void>;
}

/**
 * A Socket.IO server that holds no sockets and listens on no port: apps without sockets (the API, the
 * scheduler) use it to emit to users' rooms through the same sharded Redis adapter the gateways use, so
 * whichever gateway holds a user's sockets delivers.
 */
export function createPublisher(pub: Redis): Publisher {
  const sub = pub.duplicate();
  reportRedisErrors(sub, "publisher-sub");
  const io = new Server<ClientToServerEvents, ServerToClientEvents>({
    adapter: createShardedAdapter(pub, sub, { subscriptionMode: "dynamic" }),
  });
  return {
    to: (room) => io.to(room),
    async close() {
      // Without an engine (never attached to a port), Server.close() closes the adapters and then rejects
      // on the missing engine; the adapters are what matters here.
      await io.close().catch(() => undefined);
      // The adapter's SUNSUBSCRIBEs are not awaited by it: a PING answered after them means they are done,
      // so closing now rejects nothing.
      await sub.ping().catch(() => undefined);
      await sub.quit().catch(() => undefined);
    },
  };
}
