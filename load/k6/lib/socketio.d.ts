// Types of socketio.js (hand-written: the Node test project and the k6 scripts import these; socketio.js
// takes its parameter types from here through JSDoc, and `tsc -p load/k6` checks it against them).

export declare const engineTypes: {
  readonly open: "0";
  readonly close: "1";
  readonly ping: "2";
  readonly pong: "3";
  readonly message: "4";
  readonly upgrade: "5";
  readonly noop: "6";
};

export declare const socketTypes: {
  readonly connect: 0;
  readonly disconnect: 1;
  readonly event: 2;
  readonly ack: 3;
  readonly connectError: 4;
  readonly binaryEvent: 5;
  readonly binaryAck: 6;
};

export interface EnginePacket {
  type: "open" | "close" | "ping" | "pong" | "message" | "upgrade" | "noop";
  data: string;
}

export interface SocketPacket {
  type: number;
  /** "/" or "/name". */
  nsp: string;
  id?: number;
  data?: unknown;
}

/** What the client writes to: a WebSocket that sends text frames. */
export interface StringTransport {
  send(text: string): void;
  close(code?: number, reason?: string): void;
}

/** An EventTarget-style WebSocket: k6/websockets `WebSocket`, Node `ws` `WebSocket`. */
export interface WebSocketLike {
  send(text: string): void;
  close(code?: number, reason?: string): void;
  // Method syntax on purpose: listeners with narrower event types (k6's, ws's) are accepted.
  addEventListener(type: "message" | "close" | "error", listener: (event: unknown) => void): void;
}

/** Interval timers: k6/timers or Node's globals. */
export interface Timers {
  setInterval(callback: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

export interface SocketIoOptions {
  /** The Socket.IO handshake auth payload sent with CONNECT (here: { token, resource, protocolVersion }). */
  auth?: Record<string, unknown>;
  /** @default "/" */
  namespace?: string;
  /** Default timeout of emitWithAck, ms. @default 10000 */
  ackTimeoutMs?: number;
  /** Engine.IO OPEN and Socket.IO CONNECT must complete within this, ms. @default 20000 */
  connectTimeoutMs?: number;
  /** Answer Engine.IO pings (turn off only to test that the server drops a silent client). @default true */
  autoPong?: boolean;
  /** When given, `tick()` runs on them every `tickMs` from `attach`/`useTransport` until the client closes. */
  timers?: Timers;
  /** @default 250 */
  tickMs?: number;
  /** Clock, epoch ms. @default Date.now */
  now?: () => number;
}

export type SocketIoState = "opening" | "connecting" | "connected" | "closed";

export interface ConnectError {
  /** The server's error message (this platform: the error key, e.g. TOKEN_INVALID). */
  message: string;
  /** The server's error data (this platform: the error body { error: { code, key, message } }). */
  data: unknown;
}

export interface SocketIoEvents {
  /** Socket.IO CONNECT accepted; the Socket.IO session id. */
  connect: (sid: string) => void;
  /** CONNECT refused (44); the connection is closed right after. */
  connect_error: (error: ConnectError) => void;
  /** A server EVENT; `ack` is set when the server asked for an acknowledgement. */
  event: (name: string, args: unknown[], ack: ((...reply: unknown[]) => void) | undefined) => void;
  /** An Engine.IO ping arrived (and was answered unless autoPong is false). */
  ping: () => void;
  /** Transport, protocol or timeout problem; the connection is closed right after. */
  error: (error: Error) => void;
  /** The connection ended, for any reason; fires once. */
  disconnect: (reason: string) => void;
}

export declare function socketIoUrl(baseUrl: string, options?: { path?: string; query?: Record<string, string> }): string;
export declare function parseEnginePacket(text: string): EnginePacket;
export declare function parseSocketPacket(text: string): SocketPacket;
export declare function encodeSocketPacket(packet: SocketPacket): string;

export declare class SocketIoClient {
  constructor(options?: SocketIoOptions);
  readonly options: SocketIoOptions;
  readonly namespace: string;
  state: SocketIoState;
  /** Socket.IO session id, once connected. */
  sid: string | undefined;
  /** Engine.IO session id, from the OPEN packet. */
  engineSid: string | undefined;
  /** From the OPEN packet, ms. */
  pingInterval: number;
  pingTimeout: number;
  pingsAnswered: number;
  lastServerPacketAt: number;
  readonly pendingAcks: ReadonlyMap<number, unknown>;
  on<K extends keyof SocketIoEvents>(event: K, listener: SocketIoEvents[K]): this;
  attach(ws: WebSocketLike): this;
  useTransport(transport: StringTransport): void;
  receive(text: string): void;
  emit(name: string, ...args: unknown[]): boolean;
  emitWithAck(name: string, args: unknown[], callback: (error: Error | null, args: unknown[]) => void, timeoutMs?: number): number;
  tick(now?: number): void;
  close(): void;
  transportClosed(code?: number, reason?: string): void;
  transportError(message: string): void;
}
