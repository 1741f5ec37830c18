// Socket.IO v5 over Engine.IO v4, WebSocket transport only, text packets only: just enough of the client side
// of the protocol for load tests. Plain dependency-free ES module (no Node or k6 APIs), so the same code runs
// under k6 (k6/websockets, or k6/ws through the receive/transportClosed methods) and under Node with the `ws`
// package (tests/load/k6-socketio.test.ts drives it against the real gateway). Types: socketio.d.ts.
//
// Wire format (one Engine.IO packet per WebSocket text frame on the websocket transport):
//   server → client  0{"sid","upgrades","pingInterval","pingTimeout","maxPayload"}   Engine.IO OPEN
//   server → client  2 (ping)            client → server  3 (pong)
//   client → server  40{auth}            Socket.IO CONNECT to "/" with the handshake auth payload
//   server → client  40{"sid"}           CONNECT accepted     44{"message","data"}  CONNECT_ERROR
//   both ways        42["event",...]     EVENT                42<id>["event",...]  EVENT that wants an ACK
//   both ways        43<id>[...]         ACK of EVENT <id>    41  DISCONNECT (namespace)   1  Engine.IO CLOSE
// A namespace other than "/" is written "/name," after the packet type.

/** Engine.IO v4 packet types (the first character of a frame). */
export const engineTypes = /** @type {const} */ ({ open: "0", close: "1", ping: "2", pong: "3", message: "4", upgrade: "5", noop: "6" });

/** Socket.IO v5 packet types (the character after the Engine.IO "4"). */
export const socketTypes = /** @type {const} */ ({
  connect: 0,
  disconnect: 1,
  event: 2,
  ack: 3,
  connectError: 4,
  binaryEvent: 5,
  binaryAck: 6,
});

const engineNames = /** @type {Record<string, import("./socketio.js").EnginePacket["type"]>} */ ({
  0: "open",
  1: "close",
  2: "ping",
  3: "pong",
  4: "message",
  5: "upgrade",
  6: "noop",
});

/**
 * The Engine.IO WebSocket URL of a server: http(s) becomes ws(s), the path defaults to /socket.io/, and
 * EIO=4&transport=websocket are added (plus `query`).
 * @param {string} baseUrl e.g. https://im.example.com or http://127.0.0.1:5280
 * @param {{ path?: string, query?: Record<string, string> }} [options]
 * @returns {string}
 */
export function socketIoUrl(baseUrl, options = {}) {
  const match = /^(https?|wss?):\/\/([^/?#]+)(\/[^?#]*)?/i.exec(baseUrl.trim());
  if (!match) throw new Error(`not an http(s) or ws(s) URL: ${baseUrl}`);
  const scheme = /** @type {string} */ (match[1]).toLowerCase();
  const secure = scheme === "https" || scheme === "wss";
  const prefix = (match[3] ?? "").replace(/\/+$/, "");
  let path = options.path ?? `${prefix}/socket.io/`;
  if (!path.startsWith("/")) path = `/${path}`;
  if (!path.endsWith("/")) path = `${path}/`;
  const params = [["EIO", "4"], ["transport", "websocket"], ...Object.entries(options.query ?? {})];
  const search = params.map(([k, v]) => `${encodeURIComponent(String(k))}=${encodeURIComponent(String(v))}`).join("&");
  return `${secure ? "wss" : "ws"}://${match[2]}${path}?${search}`;
}

/**
 * Splits one Engine.IO packet (one WebSocket text frame) into its type and data.
 * @param {string} text
 * @returns {import("./socketio.js").EnginePacket}
 */
export function parseEnginePacket(text) {
  const type = engineNames[text.charAt(0)];
  if (!type) throw new Error(`unknown Engine.IO packet ${JSON.stringify(text.slice(0, 20))}`);
  return { type, data: text.slice(1) };
}

/**
 * Parses the Socket.IO packet inside an Engine.IO MESSAGE (the text after the "4").
 * @param {string} text
 * @returns {import("./socketio.js").SocketPacket}
 */
export function parseSocketPacket(text) {
  let i = 0;
  const type = Number(text.charAt(i++));
  if (!(type >= 0 && type <= 6) || text.length === 0) throw new Error(`unknown Socket.IO packet ${JSON.stringify(text.slice(0, 20))}`);
  if (type === socketTypes.binaryEvent || type === socketTypes.binaryAck) throw new Error("binary Socket.IO packets are not supported");
  let nsp = "/";
  if (text.charAt(i) === "/") {
    const comma = text.indexOf(",", i);
    const end = comma === -1 ? text.length : comma;
    nsp = text.slice(i, end);
    i = comma === -1 ? end : end + 1;
  }
  /** @type {import("./socketio.js").SocketPacket} */
  const packet = { type, nsp };
  let digits = "";
  while (i < text.length && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) digits += text.charAt(i++);
  if (digits !== "") packet.id = Number(digits);
  if (i < text.length) packet.data = JSON.parse(text.slice(i));
  return packet;
}

/**
 * Writes a Socket.IO packet as the text of one Engine.IO MESSAGE frame (leading "4" included).
 * @param {import("./socketio.js").SocketPacket} packet
 * @returns {string}
 */
export function encodeSocketPacket(packet) {
  const nsp = packet.nsp && packet.nsp !== "/" ? `${packet.nsp},` : "";
  const id = packet.id === undefined ? "" : String(packet.id);
  const data = packet.data === undefined ? "" : JSON.stringify(packet.data);
  return `${engineTypes.message}${packet.type}${nsp}${id}${data}`;
}

/**
 * One Socket.IO client connection on a WebSocket-like transport. The driver either `attach`es an object with
 * `addEventListener`/`send`/`close` (k6/websockets, Node `ws`), or calls `useTransport` and feeds `receive`,
 * `transportClosed` and `transportError` itself (k6/ws). Timeouts (ping, connect, acks) are checked by
 * `tick()`, which runs on the injected `timers` when given, or must be called by the driver.
 */
export class SocketIoClient {
  /** @param {import("./socketio.js").SocketIoOptions} [options] */
  constructor(options = {}) {
    this.options = options;
    this.namespace = options.namespace ?? "/";
    this.now = options.now ?? (() => Date.now());
    /** @type {import("./socketio.js").SocketIoState} */
    this.state = "opening";
    /** @type {string | undefined} */
    this.sid = undefined;
    /** @type {string | undefined} */
    this.engineSid = undefined;
    this.pingInterval = 0;
    this.pingTimeout = 0;
    this.pingsAnswered = 0;
    this.createdAt = this.now();
    this.lastServerPacketAt = this.createdAt;
    this.nextAckId = 0;
    /** @type {Map<number, { callback: (error: Error | null, args: unknown[]) => void, deadline: number }>} */
    this.pendingAcks = new Map();
    /** @type {{ [K in keyof import("./socketio.js").SocketIoEvents]?: Array<import("./socketio.js").SocketIoEvents[K]> }} */
    this.listeners = {};
    /** @type {import("./socketio.js").StringTransport | undefined} */
    this.transport = undefined;
    /** @type {unknown} */
    this.ticker = undefined;
  }

  /**
   * @template {keyof import("./socketio.js").SocketIoEvents} K
   * @param {K} event
   * @param {import("./socketio.js").SocketIoEvents[K]} listener
   * @returns {this}
   */
  on(event, listener) {
    const list = /** @type {Array<import("./socketio.js").SocketIoEvents[K]>} */ (this.listeners[event] ?? []);
    list.push(listener);
    this.listeners[event] = /** @type {never} */ (list);
    return this;
  }

  /**
   * @template {keyof import("./socketio.js").SocketIoEvents} K
   * @param {K} event
   * @param {Parameters<import("./socketio.js").SocketIoEvents[K]>} args
   */
  fire(event, ...args) {
    for (const listener of this.listeners[event] ?? []) /** @type {(...a: unknown[]) => void} */ (listener)(...args);
  }

  /**
   * Drives the client from an EventTarget-style WebSocket: k6/websockets `WebSocket` or Node `ws`.
   * @param {import("./socketio.js").WebSocketLike} ws
   * @returns {this}
   */
  attach(ws) {
    this.useTransport({ send: (text) => ws.send(text), close: (code, reason) => ws.close(code, reason) });
    ws.addEventListener("message", (event) => {
      const data = /** @type {{ data?: unknown }} */ (event).data;
      if (typeof data === "string") this.receive(data);
      else this.protocolError("binary frame received; only text packets are supported");
    });
    ws.addEventListener("close", (event) => {
      const e = /** @type {{ code?: number, reason?: string }} */ (event ?? {});
      this.transportClosed(e.code, e.reason);
    });
    ws.addEventListener("error", (event) => {
      const e = /** @type {{ error?: unknown, message?: unknown }} */ (event ?? {});
      this.transportError(String(e.error ?? e.message ?? "WebSocket error"));
    });
    return this;
  }

  /**
   * Sets the transport the client writes to, and starts the timeout checks on the injected timers.
   * @param {import("./socketio.js").StringTransport} transport
   */
  useTransport(transport) {
    this.transport = transport;
    const timers = this.options.timers;
    if (timers && this.ticker === undefined) this.ticker = timers.setInterval(() => this.tick(), this.options.tickMs ?? 250);
  }

  /** @param {string} text */
  write(text) {
    if (this.state === "closed" || !this.transport) return false;
    this.transport.send(text);
    return true;
  }

  /**
   * Handles one text frame from the server.
   * @param {string} text
   */
  receive(text) {
    if (this.state === "closed") return;
    this.lastServerPacketAt = this.now();
    /** @type {import("./socketio.js").EnginePacket} */
    let packet;
    try {
      packet = parseEnginePacket(text);
    } catch (error) {
      this.protocolError(String(error instanceof Error ? error.message : error));
      return;
    }
    switch (packet.type) {
      case "open":
        this.handleOpen(packet.data);
        return;
      case "ping":
        if (this.options.autoPong !== false) {
          this.write(engineTypes.pong + packet.data);
          this.pingsAnswered += 1;
        }
        this.fire("ping");
        return;
      case "close":
        this.finish("transport close", true);
        return;
      case "message":
        this.handleMessage(packet.data);
        return;
      default:
        return; // pong, noop, upgrade: nothing to do on the websocket transport
    }
  }

  /** @param {string} data */
  handleOpen(data) {
    if (this.state !== "opening") return this.protocolError("second Engine.IO OPEN packet");
    /** @type {{ sid?: string, pingInterval?: number, pingTimeout?: number }} */
    let open;
    try {
      open = JSON.parse(data);
    } catch {
      return this.protocolError("Engine.IO OPEN packet is not JSON");
    }
    this.engineSid = open.sid;
    this.pingInterval = Number(open.pingInterval) || 25_000;
    this.pingTimeout = Number(open.pingTimeout) || 20_000;
    this.state = "connecting";
    this.write(encodeSocketPacket({ type: socketTypes.connect, nsp: this.namespace, data: this.options.auth }));
  }

  /** @param {string} data */
  handleMessage(data) {
    /** @type {import("./socketio.js").SocketPacket} */
    let packet;
    try {
      packet = parseSocketPacket(data);
    } catch (error) {
      this.protocolError(String(error instanceof Error ? error.message : error));
      return;
    }
    if (packet.nsp !== this.namespace) return;
    switch (packet.type) {
      case socketTypes.connect: {
        const body = /** @type {{ sid?: string } | undefined} */ (packet.data);
        this.sid = body?.sid;
        this.state = "connected";
        this.fire("connect", this.sid ?? "");
        return;
      }
      case socketTypes.connectError: {
        const body = /** @type {{ message?: string, data?: unknown } | undefined} */ (packet.data);
        this.fire("connect_error", { message: body?.message ?? "connect error", data: body?.data });
        this.finish("connect error", false);
        return;
      }
      case socketTypes.event: {
        const args = Array.isArray(packet.data) ? packet.data : [];
        const [name, ...rest] = args;
        if (typeof name !== "string") return this.protocolError("EVENT without a name");
        const id = packet.id;
        const ack =
          id === undefined
            ? undefined
            : /** @param {unknown[]} reply */ (...reply) => {
                this.write(encodeSocketPacket({ type: socketTypes.ack, nsp: this.namespace, id, data: reply }));
              };
        this.fire("event", name, rest, ack);
        return;
      }
      case socketTypes.ack: {
        if (packet.id === undefined) return;
        const pending = this.pendingAcks.get(packet.id);
        if (!pending) return; // late (already timed out) or unknown
        this.pendingAcks.delete(packet.id);
        pending.callback(null, Array.isArray(packet.data) ? packet.data : []);
        return;
      }
      case socketTypes.disconnect:
        this.finish("io server disconnect", true);
        return;
      default:
        return;
    }
  }

  /**
   * Sends an EVENT without acknowledgement. False when the connection is not usable.
   * @param {string} name
   * @param {unknown[]} args
   * @returns {boolean}
   */
  emit(name, ...args) {
    if (this.state !== "connected") return false;
    return this.write(encodeSocketPacket({ type: socketTypes.event, nsp: this.namespace, data: [name, ...args] }));
  }

  /**
   * Sends an EVENT that asks for an ACK; `callback` gets the ACK's arguments, or an error when the ACK did not
   * arrive within `timeoutMs` (default: options.ackTimeoutMs, 10 s) or the connection closed first. Returns
   * the ack id, or -1 when nothing was sent (the callback has then been called with the error).
   * @param {string} name
   * @param {unknown[]} args
   * @param {(error: Error | null, args: unknown[]) => void} callback
   * @param {number} [timeoutMs]
   * @returns {number}
   */
  emitWithAck(name, args, callback, timeoutMs) {
    if (this.state !== "connected") {
      callback(new Error(`not connected (${this.state})`), []);
      return -1;
    }
    const id = this.nextAckId++;
    const deadline = this.now() + (timeoutMs ?? this.options.ackTimeoutMs ?? 10_000);
    this.pendingAcks.set(id, { callback, deadline });
    this.write(encodeSocketPacket({ type: socketTypes.event, nsp: this.namespace, id, data: [name, ...args] }));
    return id;
  }

  /**
   * Checks the timeouts: a connection that saw nothing from the server for pingInterval + pingTimeout is
   * dead; the Socket.IO CONNECT must be answered within options.connectTimeoutMs (default 20 s); overdue acks
   * fail with "ack timeout".
   * @param {number} [now]
   */
  tick(now = this.now()) {
    if (this.state === "closed") return;
    if (this.state !== "connected" && now - this.createdAt > (this.options.connectTimeoutMs ?? 20_000)) {
      this.fire("error", new Error(`connect timeout (${this.state})`));
      this.finish("connect timeout", true);
      return;
    }
    if (this.pingInterval > 0 && now - this.lastServerPacketAt > this.pingInterval + this.pingTimeout) {
      this.finish("ping timeout", true);
      return;
    }
    for (const [id, pending] of this.pendingAcks) {
      if (pending.deadline > now) continue;
      this.pendingAcks.delete(id);
      pending.callback(new Error("ack timeout"), []);
    }
  }

  /** Closes the connection from this side: Socket.IO DISCONNECT, then the WebSocket. */
  close() {
    if (this.state === "closed") return;
    if (this.state === "connected") this.write(encodeSocketPacket({ type: socketTypes.disconnect, nsp: this.namespace }));
    this.finish("io client disconnect", true);
  }

  /**
   * The WebSocket closed (code and reason when the driver knows them).
   * @param {number} [code]
   * @param {string} [reason]
   */
  transportClosed(code, reason) {
    this.finish(`transport close${code === undefined ? "" : ` ${code}`}${reason ? ` ${reason}` : ""}`, false);
  }

  /** @param {string} message */
  transportError(message) {
    if (this.state === "closed") return;
    this.fire("error", new Error(message));
    this.finish("transport error", true);
  }

  /** @param {string} message */
  protocolError(message) {
    this.fire("error", new Error(message));
    this.finish("parse error", true);
  }

  /**
   * @param {string} reason
   * @param {boolean} closeTransport
   */
  finish(reason, closeTransport) {
    if (this.state === "closed") return;
    this.state = "closed";
    if (this.ticker !== undefined && this.options.timers) this.options.timers.clearInterval(this.ticker);
    this.ticker = undefined;
    if (closeTransport && this.transport) {
      try {
        this.transport.close(1000, reason.slice(0, 100));
      } catch {
        // already closed
      }
    }
    const pending = [...this.pendingAcks.values()];
    this.pendingAcks.clear();
    for (const item of pending) item.callback(new Error(`connection closed: ${reason}`), []);
    this.fire("disconnect", reason);
  }
}
