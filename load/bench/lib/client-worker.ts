// A client process of the benchmarks (forked by pool.ts): holds many Socket.IO connections, raw
// (socket.io-client, as the SDK configures it) or through the SDK (ImClient: sync on connect, exactly-once),
// and answers the parent's commands over IPC. Client sockets in one Node process are the practical limit of
// a load generator, so the big runs spread their clients over a few of these.
import { ImClient } from "@im/client";
import { PROTOCOL_VERSION } from "@im/protocol";
import { io, type Socket } from "socket.io-client";
import { decodePayload } from "../../runner/checks.js";
import type { ClientSpec, WorkerReply, WorkerRequest } from "./pool.js";

interface Held {
  spec: ClientSpec;
  socket: Socket;
  sdk?: ImClient;
  /** Load message ids received, with counts. */
  received: Map<string, number>;
}

const held: Held[] = [];
let markAt = 0;
let readySinceMark = 0;
let lastReadyAt = 0;
let deliveries = 0;
let messagesSinceMark = 0;
let lastMessageAt = 0;
const send = (reply: WorkerReply) => process.send?.(reply);
const now = () => performance.timeOrigin + performance.now();

function onReady(): void {
  if (markAt > 0) {
    readySinceMark += 1;
    lastReadyAt = now();
  }
}

function onMessage(entry: Held, content: string): void {
  const payload = decodePayload(content);
  if (!payload) return;
  deliveries += 1;
  entry.received.set(payload.id, (entry.received.get(payload.id) ?? 0) + 1);
  if (markAt > 0) {
    messagesSinceMark += 1;
    lastMessageAt = now();
  }
}

/** Opens one client; resolves with its handshake time in ms, or rejects. */
function open(spec: ClientSpec, sdk: boolean, reconnection: boolean, timeoutMs: number): Promise<number> {
  const started = performance.now();
  const options = {
    transports: ["websocket"],
    reconnection,
    reconnectionDelay: 500,
    reconnectionDelayMax: 5_000,
    randomizationFactor: 0.5,
    timeout: timeoutMs,
    forceNew: true,
  };
  if (sdk) {
    if (!spec.token) return Promise.reject(new Error("the SDK needs a token"));
    const client = new ImClient({ url: spec.url, token: spec.token, resource: "web", socket: options });
    const entry: Held = { spec, socket: client.socket as unknown as Socket, sdk: client, received: new Map() };
    held.push(entry);
    client.on("message", (message) => onMessage(entry, message.content));
    client.on("connected", onReady);
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      client.connect(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`connect timed out after ${timeoutMs} ms`)), timeoutMs);
      }),
    ])
      .then(() => performance.now() - started)
      .finally(() => clearTimeout(timer));
  }
  const socket = io(spec.url, {
    ...options,
    autoConnect: false,
    auth: spec.token ? { token: spec.token, resource: "web", protocolVersion: PROTOCOL_VERSION } : {},
    query: spec.query ?? {},
  });
  const entry: Held = { spec, socket, received: new Map() };
  held.push(entry);
  socket.on("message", (message: { content: string }) => onMessage(entry, message.content));
  socket.on("session:ready", onReady);
  return new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`no session:ready after ${timeoutMs} ms`)), timeoutMs);
    const fail = (error: Error) => {
      clearTimeout(timer);
      if (!reconnection) socket.disconnect();
      reject(error);
    };
    socket.once("session:ready", () => {
      clearTimeout(timer);
      resolve(performance.now() - started);
    });
    socket.once("connect_error", (error) => {
      if (!reconnection) fail(error);
    });
    socket.connect();
  });
}

async function openAll(request: Extract<WorkerRequest, { type: "open" }>): Promise<void> {
  const latencies: number[] = [];
  const errors: string[] = [];
  let failed = 0;
  let next = 0;
  const worker = async () => {
    while (next < request.clients.length) {
      const spec = request.clients[next++] as ClientSpec;
      try {
        latencies.push(await open(spec, request.sdk, request.reconnection, request.timeoutMs));
      } catch (error) {
        failed += 1;
        if (errors.length < 5) errors.push(String(error));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(request.concurrency, request.clients.length) }, worker));
  send({ type: "opened", ok: latencies.length, failed, latencies, errors });
}

process.on("message", (request: WorkerRequest) => {
  switch (request.type) {
    case "open":
      void openAll(request);
      return;
    case "mark":
      markAt = now();
      readySinceMark = 0;
      lastReadyAt = 0;
      messagesSinceMark = 0;
      lastMessageAt = 0;
      send({ type: "marked", at: markAt });
      return;
    case "status":
      send({
        type: "status",
        held: held.length,
        connected: held.filter((h) => h.socket.connected).length,
        readySinceMark,
        lastReadyAt,
        deliveries,
        messagesSinceMark,
        lastMessageAt,
      });
      return;
    case "received":
      send({ type: "received", perClient: held.map((h) => ({ userId: h.spec.userId, ids: Object.fromEntries(h.received) })) });
      return;
    case "disconnect":
      // Closes the sockets from this side without reconnecting (clean-up between phases).
      for (const h of held) {
        if (h.sdk) h.sdk.close();
        else h.socket.disconnect();
      }
      held.length = 0;
      send({ type: "disconnected" });
      return;
    case "exit":
      for (const h of held) h.socket.disconnect();
      process.exit(0);
  }
});

send({ type: "started" });
