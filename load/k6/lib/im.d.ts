// Types of im.js (hand-written, see socketio.d.ts).
import type { SocketIoClient } from "./socketio.js";

export declare const PROTOCOL_VERSION: 1;
export declare const chatTypes: { readonly single: 1; readonly group: 2 };
export declare const messageTypes: { readonly text: 1; readonly readReceipt: 26 };
export declare const CONTENT_PREFIX: "k6load:";

/** Every setting of the k6 scripts (README: "k6 soak and spike tests"). */
export interface ImConfig {
  /** Which script: sets the defaults of USERS and what RATE is spread over. */
  mode: "soak" | "spike";
  /** BASE_URL: the ingress (API under /v1, gateway under /socket.io). */
  baseUrl: string;
  /** WS_URL, or derived from BASE_URL: ws(s)://host/socket.io/?EIO=4&transport=websocket. */
  wsUrl: string;
  usersFile: string | undefined;
  users: number;
  register: boolean;
  phonePrefix: string;
  areaCode: string;
  password: string;
  resource: string;
  vus: number;
  baseVus: number;
  spikeVus: number;
  duration: string;
  rampUp: string;
  spikeHold: string;
  rampDown: string;
  warmup: string;
  recovery: string;
  gracefulRampDown: string;
  msgIntervalSeconds: number;
  groupIntervalSeconds: number;
  /** A roomId, "create" or "none". */
  group: string;
  groupSize: number;
  readReceipts: boolean;
  messageBytes: number;
  sessionSeconds: number;
  ackTimeoutMs: number;
  connectTimeoutMs: number;
  setupConcurrency: number;
  setupTimeout: string;
  receiptP99Ms: number;
  deliveryP99Ms: number;
  errorRate: number;
  abortOnFail: boolean;
}

export interface Credentials {
  areaCode: string;
  phone: string;
  password: string;
}

export type UserEntry = Credentials | { userId: number; token: string };

export interface HttpRequest {
  method: "POST";
  url: string;
  body: string;
  headers: Record<string, string>;
}

export type AuthResult = { ok: true; userId: number; token: string } | { ok: false; status: number; key: string; text: string };

export type MessageKind = "direct" | "group" | "read";

/** Where ImSession reports what happens (k6 metrics in scenario.js, arrays in the Node test). */
export interface ImRecorder {
  /** WebSocket created → session:ready, ms. */
  connected(ms: number): void;
  sent(kind: MessageKind): void;
  /** The server's receipt (ack with ok: true) arrived after `ms`. */
  acked(kind: MessageKind, ms: number): void;
  /** A load message arrived; `ms` is send → arrival (undefined for read receipts). */
  received(kind: MessageKind, ms: number | undefined): void;
  /** A failed operation: connect (incl. CONNECT_ERROR), send (ack timeout or refusal), disconnect (unasked), server (im:error). */
  failed(op: string, reason: string, kind?: MessageKind): void;
  /** A successful connect or send (the other side of the error rate). */
  succeeded(op: string): void;
}

export interface SessionTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  setInterval(callback: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

export interface ImSessionOptions {
  client: SocketIoClient;
  recorder: ImRecorder;
  timers: SessionTimers;
  /** userIds 1:1 messages go to (random, never this session's own user). */
  peers: number[];
  /** The room group messages go to; none when undefined. */
  roomId?: string | undefined;
  /** Between this session's 1:1 sends, ms; 0 sends none. */
  directIntervalMs: number;
  /** Between this session's group sends, ms; 0 sends none. */
  groupIntervalMs: number;
  /** Answer each 1:1 load message with a read receipt (type 26). */
  readReceipts: boolean;
  /** Session length from start(), ms; then stop(); 0 runs until stop() or the connection ends. */
  sessionMs: number;
  ackTimeoutMs: number;
  messageBytes?: number;
  now?: () => number;
  random?: () => number;
  /** The session ended: `ok` when it got ready and ended because stop() was called (or its time was up). */
  onDone?: (reason: string, counts: SessionCounts, ok: boolean) => void;
}

export interface SessionCounts {
  sent: number;
  acked: number;
  failed: number;
  received: number;
  readReceipts: number;
}

export interface ReceiptLike {
  messageId: string;
  conversationId: string;
  seq: number;
  serverTime: number;
  duplicate: boolean;
}

export interface DeliveredMessageLike {
  messageId?: string;
  conversationId?: string;
  chatType?: number;
  fromUserId?: number;
  to?: string;
  type?: number;
  content?: string;
  objectId?: string;
}

export declare function durationMs(text: string): number;
export declare function readConfig(env: Record<string, string | undefined>, defaults?: Partial<ImConfig>): ImConfig;
export declare function generatedUsers(config: ImConfig): Credentials[];
export declare function parseUsersFile(text: string, defaultAreaCode?: string): UserEntry[];
export declare function loginRequest(config: ImConfig, user: Credentials, deviceId?: string): HttpRequest;
export declare function registerRequest(config: ImConfig, user: Credentials, deviceId?: string): HttpRequest;
export declare function createRoomRequest(config: ImConfig, token: string, name: string): HttpRequest;
export declare function joinRoomRequest(config: ImConfig, token: string, roomId: string): HttpRequest;
export declare function parseAuthReply(status: number, text: string | null | undefined): AuthResult;
export declare function afterLogin(login: AuthResult, mayRegister: boolean): "use" | "register" | "fail";
export declare function explainAuthFailure(reply: AuthResult, what: string): string;
export declare function parseRoomReply(status: number, text: string | null | undefined): string | undefined;
export declare function joinOutcome(status: number, text: string | null | undefined): string;
export declare function uuidV4(random?: () => number): string;
export declare function encodeContent(meta: { sentAt: number; from: number; n: number }, bytes?: number): string;
export declare function decodeContent(content: unknown): { sentAt: number; from: number; n: number } | undefined;
export declare function pickPeer(userIds: number[], self: number, random?: () => number): number | undefined;
export declare function reasonTag(reason: string): string;
export declare function handshakeAuth(token: string, resource?: string): { token: string; resource: string; protocolVersion: 1 };

export declare class ImSession {
  constructor(options: ImSessionOptions);
  readonly client: SocketIoClient;
  userId: number | undefined;
  ready: boolean;
  stopping: boolean;
  done: boolean;
  readonly counts: SessionCounts;
  start(): void;
  whenReady(fn: () => void): void;
  sendDirect(): void;
  sendGroup(roomId: string): void;
  send(
    kind: MessageKind,
    message: { chatType: number; to: string; type: number; objectId?: string; content?: string },
    then?: (receipt: ReceiptLike | undefined, error: string | undefined) => void,
  ): string;
  stop(): void;
}
