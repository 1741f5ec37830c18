/**
 * The baseline of the benchmarks (docs/benchmarks.md): a bare Socket.IO relay. Same socket.io (4.8.4) and the
 * same server options as apps/gateway/src/server.ts, but no auth, no storage, no sequence numbers, no presence:
 *
 * - a client says who it is with the `userId` handshake query parameter (and `rooms`, a comma-separated list
 *   of group ids to join); the socket joins `u:<userId>` (and `g:<roomId>` for each room) and gets a
 *   `session:ready` event, as the gateway's sockets do;
 * - `message:send` `{ messageId, chatType, to, type, content }` with an ack: the ack fires at once with a
 *   receipt, and the message is emitted as `message` to the recipient's and the sender's user rooms except
 *   the sending socket (chatType 1, as the gateway's deliverMessage does), or to the room `g:<to>` (chatType 2).
 *
 *   node --import tsx load/relay/server.ts --port 6000 [--host 127.0.0.1] [--redis redis://127.0.0.1:6379]
 *
 * Without `--redis` the relay uses Socket.IO's in-memory adapter (one process). With it, the same sharded Redis
 * adapter as the gateway (`createShardedAdapter`, subscriptionMode dynamic), so two relay processes deliver
 * to each other's sockets: the benchmarks use it only for group fan-out over two processes.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";
import { createShardedAdapter } from "@socket.io/redis-adapter";
import { Redis } from "ioredis";
import { Server, type Socket } from "socket.io";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "0" },
    host: { type: "string", default: "127.0.0.1" },
    redis: { type: "string" },
  },
});

interface SendPayload {
  messageId: string;
  chatType: number;
  to: string;
  type: number;
  content: string;
  timeSend?: number;
}

const http = createServer((req, res) => {
  if (req.url === "/healthz") res.writeHead(200, { "content-type": "application/json" }).end('{"status":"ok"}');
  else res.writeHead(404).end();
});

// The gateway's client options (libs/infra createRedis).
const pub = values.redis
  ? new Redis(values.redis, {
      maxRetriesPerRequest: 2,
      enableAutoPipelining: true,
      retryStrategy: (attempt) => Math.min(attempt * 100, 2_000),
    })
  : undefined;
const sub = pub?.duplicate();
// The gateway's defaults (GATEWAY_ALLOW_POLLING, PING_INTERVAL/TIMEOUT, MAX_MESSAGE_BYTES).
const io = new Server(http, {
  ...(pub && sub ? { adapter: createShardedAdapter(pub, sub, { subscriptionMode: "dynamic" }) } : {}),
  transports: ["polling", "websocket"],
  pingInterval: 25_000,
  pingTimeout: 20_000,
  maxHttpBufferSize: 65_536,
  cors: { origin: true, credentials: true },
});

io.on("connection", async (socket: Socket) => {
  const query = socket.handshake.query;
  const userId = Number(query.userId);
  if (!Number.isSafeInteger(userId) || userId < 1) {
    socket.disconnect(true);
    return;
  }
  const resource = typeof query.resource === "string" ? query.resource : "web";
  socket.on("message:send", (payload: SendPayload, ack: unknown) => {
    const now = Date.now();
    const group = payload.chatType === 2;
    const conversationId = group ? `g_${payload.to}` : `s_${Math.min(userId, Number(payload.to))}_${Math.max(userId, Number(payload.to))}`;
    if (typeof ack === "function") {
      ack({ ok: true, receipt: { messageId: payload.messageId, conversationId, seq: 0, serverTime: now, duplicate: false } });
    }
    const rooms = group ? [`g:${payload.to}`] : [`u:${payload.to}`, `u:${userId}`];
    io.to(rooms)
      .except(socket.id)
      .emit("message", {
        conversationId,
        seq: 0,
        messageId: payload.messageId,
        chatType: payload.chatType,
        fromUserId: userId,
        fromResource: resource,
        to: payload.to,
        type: payload.type,
        content: payload.content,
        isEncrypt: false,
        isReadDel: false,
        timeSend: payload.timeSend ?? now,
        serverTime: now,
      });
  });
  const rooms = typeof query.rooms === "string" && query.rooms ? query.rooms.split(",").map((r) => `g:${r}`) : [];
  await socket.join([`u:${userId}`, ...rooms]);
  socket.emit("session:ready", { userId, resource, serverTime: Date.now(), protocolVersion: 1 });
});

// Like the gateway, which connects to Redis before it listens: an SSUBSCRIBE sent before the subscriber's
// ready check would fail it.
await Promise.all(
  [pub, sub].map((client) => (client && client.status !== "ready" ? new Promise((resolve) => client.once("ready", resolve)) : undefined)),
);
http.listen(Number(values.port), values.host, () => {
  const { port } = http.address() as AddressInfo;
  console.log(`relay listening on ${values.host}:${port}${pub ? " (sharded Redis adapter)" : ""}`);
});

const shutdown = () => {
  io.close(() => {
    pub?.disconnect();
    sub?.disconnect();
    process.exit(0);
  });
};
process.once("SIGTERM", shutdown);
process.once("SIGINT", shutdown);
