// The IM scenario, free of k6 modules: settings from environment variables, the API requests (as plain
// request descriptions and reply parsers), message contents that carry their send time, and ImSession — one
// device's session over a SocketIoClient: wait for session:ready, send 1:1 and group messages at fixed
// intervals with an acknowledgement each, time receipts and deliveries, answer 1:1 messages with read
// receipts, then drain and close. The k6 scripts (scenario.js) and tests/load/k6-socketio.test.ts (Node `ws`)
// both use it. Types: im.d.ts.

import { socketIoUrl } from "./socketio.js";

/** The realtime protocol version the gateway speaks (libs/protocol PROTOCOL_VERSION). */
export const PROTOCOL_VERSION = 1;
export const chatTypes = /** @type {const} */ ({ single: 1, group: 2 });
/** Message types used here (libs/protocol message-types.ts). */
export const messageTypes = /** @type {const} */ ({ text: 1, readReceipt: 26 });
/** Prefix of the contents this scenario sends, so recipients can tell load messages from anything else. */
export const CONTENT_PREFIX = "k6load:";

/** @param {Record<string, string | undefined>} env @param {string} name */
function raw(env, name) {
  const value = env[name];
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}

/**
 * @param {Record<string, string | undefined>} env @param {string} name @param {number} fallback
 * @param {number} [min] @param {number} [max]
 */
function number(env, name, fallback, min = 0, max = Number.MAX_SAFE_INTEGER) {
  const value = raw(env, name);
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < min || parsed > max) throw new Error(`${name}=${value}: must be a number from ${min} to ${max}`);
  return parsed;
}

/** @param {Record<string, string | undefined>} env @param {string} name @param {boolean} fallback */
function flag(env, name, fallback) {
  const value = raw(env, name)?.toLowerCase();
  if (value === undefined) return fallback;
  if (["1", "true", "yes", "on"].includes(value)) return true;
  if (["0", "false", "no", "off"].includes(value)) return false;
  throw new Error(`${name}=${value}: must be true or false`);
}

/** @param {Record<string, string | undefined>} env @param {string} name @param {string} fallback */
function duration(env, name, fallback) {
  const value = raw(env, name) ?? fallback;
  if (!/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(value)) throw new Error(`${name}=${value}: must be a k6 duration such as 90s, 30m or 1h30m`);
  return value;
}

/**
 * A k6 duration ("1h30m", "90s", "500ms") in milliseconds.
 * @param {string} text
 * @returns {number}
 */
export function durationMs(text) {
  const units = /** @type {Record<string, number>} */ ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 });
  let total = 0;
  for (const match of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g))
    total += Number(match[1]) * (units[/** @type {string} */ (match[2])] ?? 0);
  return total;
}

/**
 * Reads every setting of the k6 scripts from environment variables (k6: `-e NAME=value` or the process
 * environment); `defaults` are the script's own defaults (soak and spike differ). Throws on a bad value.
 * @param {Record<string, string | undefined>} env
 * @param {Partial<import("./im.js").ImConfig>} [defaults]
 * @returns {import("./im.js").ImConfig}
 */
export function readConfig(env, defaults = {}) {
  const baseUrl = (raw(env, "BASE_URL") ?? defaults.baseUrl ?? "http://127.0.0.1:8092").replace(/\/+$/, "");
  const wsRaw = raw(env, "WS_URL");
  // A WS_URL without a path (ws://host:5280 or http://host:5280) gets the Engine.IO path and query added.
  const wsUrl = wsRaw === undefined ? socketIoUrl(baseUrl) : /\/socket\.io\//.test(wsRaw) ? wsRaw : socketIoUrl(wsRaw);
  const usersFile = raw(env, "USERS_FILE");
  const vus = number(env, "VUS", defaults.vus ?? 50, 1, 1_000_000);
  const spikeVus = number(env, "SPIKE_VUS", defaults.spikeVus ?? vus * 10, 1, 1_000_000);
  const baseVus = number(env, "BASE_VUS", defaults.baseVus ?? vus, 0, 1_000_000);
  const mode = defaults.mode ?? "soak";
  // The VUs RATE is spread over: the soak's VUS, the spike's BASE_VUS (the spike then multiplies it).
  const rateVus = Math.max(1, mode === "spike" ? baseVus : vus);
  const rate = number(env, "RATE", 0, 0, 1_000_000);
  // RATE (1:1 messages per second over rateVus) wins over MSG_INTERVAL (seconds between one VU's 1:1 sends).
  const msgIntervalSeconds = rate > 0 ? rateVus / rate : number(env, "MSG_INTERVAL", defaults.msgIntervalSeconds ?? 10, 0, 86_400);
  const group = raw(env, "GROUP") ?? defaults.group ?? "create";
  if (group !== "create" && group !== "none" && !/^[0-9a-zA-Z_-]{1,64}$/.test(group)) {
    throw new Error(`GROUP=${group}: must be a roomId, "create" or "none"`);
  }
  const phonePrefix = raw(env, "PHONE_PREFIX") ?? defaults.phonePrefix ?? "1700";
  if (!/^[0-9]{0,9}$/.test(phonePrefix)) throw new Error(`PHONE_PREFIX=${phonePrefix}: at most 9 digits (6 digits of index follow)`);
  const areaCode = raw(env, "AREA_CODE") ?? "86";
  if (!/^[1-9][0-9]{0,3}$/.test(areaCode)) throw new Error(`AREA_CODE=${areaCode}: 1–4 digits, e.g. 86`);
  const resource = raw(env, "RESOURCE") ?? "web";
  if (!["android", "ios", "web", "pc", "mac"].includes(resource)) throw new Error(`RESOURCE=${resource}: android, ios, web, pc or mac`);
  return {
    mode,
    baseUrl,
    wsUrl,
    usersFile,
    // One user per VU at the peak by default: VU n is user (n - 1) mod USERS.
    users: number(env, "USERS", defaults.users ?? (mode === "spike" ? Math.max(baseVus, spikeVus) : vus), 1, 1_000_000),
    register: flag(env, "REGISTER", usersFile === undefined),
    phonePrefix,
    areaCode,
    password: raw(env, "PASSWORD") ?? "k6-load-password",
    resource,
    vus,
    baseVus,
    spikeVus,
    duration: duration(env, "DURATION", defaults.duration ?? "30m"),
    rampUp: duration(env, "RAMP_UP", defaults.rampUp ?? "30s"),
    spikeHold: duration(env, "SPIKE_HOLD", defaults.spikeHold ?? "2m"),
    rampDown: duration(env, "RAMP_DOWN", defaults.rampDown ?? "30s"),
    warmup: duration(env, "WARMUP", defaults.warmup ?? "1m"),
    recovery: duration(env, "RECOVERY", defaults.recovery ?? "2m"),
    gracefulRampDown: duration(env, "GRACEFUL_RAMP_DOWN", defaults.gracefulRampDown ?? "10s"),
    msgIntervalSeconds,
    groupIntervalSeconds: number(env, "GROUP_INTERVAL", defaults.groupIntervalSeconds ?? 30, 0, 86_400),
    group,
    groupSize: number(env, "GROUP_SIZE", defaults.groupSize ?? 20, 0, 100_000),
    readReceipts: flag(env, "READ_RECEIPTS", defaults.readReceipts ?? true),
    messageBytes: number(env, "MESSAGE_BYTES", defaults.messageBytes ?? 0, 0, 16_000),
    sessionSeconds: number(env, "SESSION_SECONDS", defaults.sessionSeconds ?? 300, 1, 10_000_000),
    ackTimeoutMs: number(env, "ACK_TIMEOUT_MS", defaults.ackTimeoutMs ?? 10_000, 100, 600_000),
    connectTimeoutMs: number(env, "CONNECT_TIMEOUT_MS", defaults.connectTimeoutMs ?? 20_000, 100, 600_000),
    setupConcurrency: number(env, "SETUP_CONCURRENCY", defaults.setupConcurrency ?? 20, 1, 1_000),
    setupTimeout: duration(env, "SETUP_TIMEOUT", defaults.setupTimeout ?? "10m"),
    receiptP99Ms: number(env, "RECEIPT_P99_MS", defaults.receiptP99Ms ?? 500, 1),
    deliveryP99Ms: number(env, "DELIVERY_P99_MS", defaults.deliveryP99Ms ?? 1000, 1),
    errorRate: number(env, "ERROR_RATE", defaults.errorRate ?? 0.01, 0, 1),
    abortOnFail: flag(env, "ABORT_ON_FAIL", defaults.abortOnFail ?? false),
  };
}

/**
 * The load users to make when no USERS_FILE is given: phones PHONE_PREFIX + 6-digit index, one password.
 * @param {import("./im.js").ImConfig} config
 * @returns {import("./im.js").Credentials[]}
 */
export function generatedUsers(config) {
  const users = [];
  for (let i = 0; i < config.users; i++) {
    users.push({ areaCode: config.areaCode, phone: `${config.phonePrefix}${String(i).padStart(6, "0")}`, password: config.password });
  }
  return users;
}

/**
 * Reads a USERS_FILE: a JSON array of { phone, password, areaCode? } (logged in by setup) or { userId, token }
 * (used as they are: tokens issued elsewhere, no login traffic).
 * @param {string} text
 * @param {string} [defaultAreaCode]
 * @returns {import("./im.js").UserEntry[]}
 */
export function parseUsersFile(text, defaultAreaCode = "86") {
  const parsed = JSON.parse(text);
  if (!Array.isArray(parsed) || parsed.length === 0) throw new Error("USERS_FILE: must be a non-empty JSON array");
  return parsed.map((entry, i) => {
    if (entry && typeof entry.token === "string" && Number.isSafeInteger(entry.userId)) return { userId: entry.userId, token: entry.token };
    if (entry && typeof entry.phone === "string" && typeof entry.password === "string") {
      return {
        areaCode: typeof entry.areaCode === "string" ? entry.areaCode : defaultAreaCode,
        phone: entry.phone,
        password: entry.password,
      };
    }
    throw new Error(`USERS_FILE[${i}]: needs { phone, password, areaCode? } or { userId, token }`);
  });
}

/** @param {string} url @param {unknown} body @param {string} [token] @returns {import("./im.js").HttpRequest} */
function post(url, body, token) {
  /** @type {Record<string, string>} */
  const headers = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  return { method: "POST", url, body: JSON.stringify(body), headers };
}

/**
 * POST /v1/auth/login. `deviceId` keeps one session per user and device: logging in again replaces it
 * instead of piling up sessions (API_MAX_SESSIONS).
 * @param {import("./im.js").ImConfig} config @param {import("./im.js").Credentials} user @param {string} [deviceId]
 */
export function loginRequest(config, user, deviceId = "k6-load") {
  return post(`${config.baseUrl}/v1/auth/login`, { ...user, resource: config.resource, deviceId });
}

/**
 * POST /v1/auth/register without an SMS code: only accepted by an API running with API_SMS_REQUIRED=false.
 * @param {import("./im.js").ImConfig} config @param {import("./im.js").Credentials} user @param {string} [deviceId]
 */
export function registerRequest(config, user, deviceId = "k6-load") {
  return post(`${config.baseUrl}/v1/auth/register`, {
    ...user,
    nickname: `k6-${user.phone}`.slice(0, 32),
    resource: config.resource,
    deviceId,
  });
}

/**
 * A public room (rooms are private by default: joining one needs an invitation, a join link or approval),
 * so every virtual user can join it by id.
 * @param {import("./im.js").ImConfig} config @param {string} token @param {string} name
 */
export function createRoomRequest(config, token, name) {
  return post(`${config.baseUrl}/v1/rooms`, { name: name.slice(0, 64), isPublic: 1 }, token);
}

/** @param {import("./im.js").ImConfig} config @param {string} token @param {string} roomId */
export function joinRoomRequest(config, token, roomId) {
  return post(`${config.baseUrl}/v1/rooms/${encodeURIComponent(roomId)}/join`, { reason: "k6 load test" }, token);
}

/** @param {string | null | undefined} text @returns {Record<string, unknown>} */
function json(text) {
  try {
    const value = JSON.parse(text ?? "");
    return value && typeof value === "object" ? value : {};
  } catch {
    return {};
  }
}

/** @param {Record<string, unknown>} body @returns {string} */
function errorKey(body) {
  const error = /** @type {{ key?: unknown } | undefined} */ (body.error);
  return typeof error?.key === "string" ? error.key : "";
}

/**
 * Reads a login or register reply.
 * @param {number} status @param {string | null | undefined} text
 * @returns {import("./im.js").AuthResult}
 */
export function parseAuthReply(status, text) {
  const body = json(text);
  const user = /** @type {{ userId?: unknown } | undefined} */ (body.user);
  if ((status === 200 || status === 201) && typeof body.accessToken === "string" && Number.isSafeInteger(user?.userId)) {
    return { ok: true, userId: /** @type {number} */ (user?.userId), token: body.accessToken };
  }
  return { ok: false, status, key: errorKey(body) || `HTTP_${status}`, text: String(text ?? "").slice(0, 300) };
}

/**
 * What to do after a login reply of a generated user: use it, register the phone (it is new — only when
 * registering is allowed), or give up with a message.
 * @param {import("./im.js").AuthResult} login @param {boolean} mayRegister
 * @returns {"use" | "register" | "fail"}
 */
export function afterLogin(login, mayRegister) {
  if (login.ok) return "use";
  return login.key === "LOGIN_FAILED" && mayRegister ? "register" : "fail";
}

/** A readable explanation of a failed provisioning reply. @param {import("./im.js").AuthResult} reply @param {string} what */
export function explainAuthFailure(reply, what) {
  if (reply.ok) return "";
  const hints = /** @type {Record<string, string>} */ ({
    RATE_LIMITED: "the API limits logins/registrations per client IP: raise API_LOGIN_MAX_PER_IP / API_REGISTER_MAX_PER_IP for the test",
    SMS_CODE_INVALID: "the API requires SMS codes: run it with API_SMS_REQUIRED=false, or pass pre-provisioned users in USERS_FILE",
    LOGIN_FAILED: "wrong phone or password (REGISTER=false, or USERS_FILE has a bad entry)",
    LOGIN_LOCKED: "too many failed logins for this phone: wait API_LOGIN_WINDOW_SECONDS",
  });
  return `${what}: ${reply.status} ${reply.key}${hints[reply.key] ? ` — ${hints[reply.key]}` : ""}`;
}

/**
 * Reads a POST /v1/rooms reply: the new roomId, or undefined.
 * @param {number} status @param {string | null | undefined} text
 */
export function parseRoomReply(status, text) {
  const body = json(text);
  return status === 201 && typeof body.roomId === "string" ? body.roomId : undefined;
}

/**
 * Reads a join reply: "joined" (now or before) or a failure key (a room that needs approval gives "pending").
 * @param {number} status @param {string | null | undefined} text
 * @returns {"joined" | string}
 */
export function joinOutcome(status, text) {
  const body = json(text);
  if (status === 200 && body.status === "joined") return "joined";
  if (errorKey(body) === "ALREADY_ROOM_MEMBER") return "joined";
  if (status === 202) return "pending";
  return errorKey(body) || `HTTP_${status}`;
}

/**
 * A v4 UUID from `random` (k6 has no crypto.randomUUID everywhere; uniqueness is all that matters here).
 * @param {() => number} [random]
 */
export function uuidV4(random = Math.random) {
  let out = "";
  for (let i = 0; i < 36; i++) {
    if (i === 8 || i === 13 || i === 18 || i === 23) out += "-";
    else if (i === 14) out += "4";
    else if (i === 19) out += "89ab".charAt(Math.floor(random() * 4));
    else out += "0123456789abcdef".charAt(Math.floor(random() * 16));
  }
  return out;
}

/**
 * The content of a load message: its send time (epoch ms, the sender's clock), the sender's user id and a
 * per-session sequence number, padded with "x" to `bytes` when asked.
 * @param {{ sentAt: number, from: number, n: number }} meta @param {number} [bytes]
 */
export function encodeContent(meta, bytes = 0) {
  const base = `${CONTENT_PREFIX}${JSON.stringify({ t: meta.sentAt, u: meta.from, n: meta.n })}`;
  return base.length >= bytes ? base : `${base}${"x".repeat(bytes - base.length)}`;
}

/**
 * The metadata of a load message's content, or undefined for any other content.
 * @param {unknown} content
 * @returns {{ sentAt: number, from: number, n: number } | undefined}
 */
export function decodeContent(content) {
  if (typeof content !== "string" || !content.startsWith(CONTENT_PREFIX)) return undefined;
  const end = content.indexOf("}");
  if (end === -1) return undefined;
  try {
    const meta = JSON.parse(content.slice(CONTENT_PREFIX.length, end + 1));
    if (typeof meta.t !== "number") return undefined;
    return { sentAt: meta.t, from: Number(meta.u), n: Number(meta.n) };
  } catch {
    return undefined;
  }
}

/**
 * Picks a 1:1 peer: a random user of `userIds` other than `self` (undefined when there is none).
 * @param {number[]} userIds @param {number} self @param {() => number} [random]
 */
export function pickPeer(userIds, self, random = Math.random) {
  if (userIds.length < 2 && userIds[0] === self) return undefined;
  for (let attempt = 0; attempt < 8; attempt++) {
    const candidate = userIds[Math.floor(random() * userIds.length)];
    if (candidate !== undefined && candidate !== self) return candidate;
  }
  return userIds.find((id) => id !== self);
}

/** Shortens a failure reason to a low-cardinality metric tag value. @param {string} reason */
export function reasonTag(reason) {
  return (
    reason
      .split(":")[0]
      ?.replace(/[^A-Za-z0-9_ -]/g, "")
      .trim()
      .slice(0, 40) || "unknown"
  );
}

/**
 * One device session over a SocketIoClient (see the file comment). The caller creates the WebSocket and the
 * client (with the handshake auth from `handshakeAuth`), then calls `start()`; `onDone` fires once when the
 * session ends, after which no timer of this session is left running.
 */
export class ImSession {
  /** @param {import("./im.js").ImSessionOptions} options */
  constructor(options) {
    this.o = options;
    this.client = options.client;
    this.recorder = options.recorder;
    this.now = options.now ?? (() => Date.now());
    this.random = options.random ?? Math.random;
    /** @type {number | undefined} */
    this.userId = undefined;
    this.startedAt = this.now();
    this.ready = false;
    this.stopping = false;
    /** True once the server refused the handshake (CONNECT_ERROR). */
    this.refused = false;
    /** @type {string | undefined} the last transport or protocol error, as a tag value */
    this.lastError = undefined;
    this.done = false;
    this.seq = 0;
    /** @type {unknown[]} */
    this.intervals = [];
    /** @type {unknown[]} */
    this.timeouts = [];
    this.counts = { sent: 0, acked: 0, failed: 0, received: 0, readReceipts: 0 };
    /** @type {Array<() => void>} */
    this.readyWaiters = [];
  }

  /** Wires the client's events; call once, before the first frame arrives. */
  start() {
    const client = this.client;
    client.on("event", (name, args) => {
      if (name === "session:ready") this.onReady(/** @type {{ userId?: number }} */ (args[0] ?? {}));
      else if (name === "message") this.onMessage(/** @type {import("./im.js").DeliveredMessageLike} */ (args[0] ?? {}));
      else if (name === "im:error")
        this.fail("server", reasonTag(String(/** @type {{ error?: { key?: string } }} */ (args[0])?.error?.key)));
    });
    client.on("connect_error", (error) => {
      this.refused = true;
      this.fail("connect", reasonTag(error.message));
    });
    client.on("error", (error) => {
      this.lastError = reasonTag(error.message);
    });
    client.on("disconnect", (reason) => this.finish(reason));
    if (this.o.sessionMs > 0) this.later(() => this.stop(), this.o.sessionMs);
  }

  /** @param {{ userId?: number }} info */
  onReady(info) {
    if (this.ready) return;
    this.ready = true;
    this.userId = info.userId;
    this.recorder.connected(this.now() - this.startedAt);
    this.recorder.succeeded("connect");
    for (const waiter of this.readyWaiters.splice(0)) waiter();
    const { directIntervalMs, groupIntervalMs, roomId } = this.o;
    if (directIntervalMs > 0 && this.o.peers.length > 1) this.every(directIntervalMs, () => this.sendDirect());
    if (groupIntervalMs > 0 && roomId) this.every(groupIntervalMs, () => this.sendGroup(roomId));
  }

  /**
   * Runs `fn` every `ms`, the first time after a random part of `ms` so sessions do not send in lockstep.
   * @param {number} ms @param {() => void} fn
   */
  every(ms, fn) {
    const timers = this.o.timers;
    const guarded = () => {
      if (!this.stopping) fn();
    };
    this.later(
      () => {
        if (this.stopping) return;
        fn();
        this.intervals.push(timers.setInterval(guarded, ms));
      },
      Math.floor(this.random() * ms),
    );
  }

  /** @param {() => void} fn @param {number} ms */
  later(fn, ms) {
    this.timeouts.push(this.o.timers.setTimeout(fn, ms));
  }

  /** Resolves the callback once the session is ready (at once if it is). @param {() => void} fn */
  whenReady(fn) {
    if (this.ready) fn();
    else this.readyWaiters.push(fn);
  }

  /** Sends one 1:1 text to a random peer. */
  sendDirect() {
    if (this.userId === undefined) return;
    const peer = pickPeer(this.o.peers, this.userId, this.random);
    if (peer !== undefined) this.send("direct", { chatType: chatTypes.single, to: String(peer), type: messageTypes.text });
  }

  /** Sends one text to the room. @param {string} roomId */
  sendGroup(roomId) {
    this.send("group", { chatType: chatTypes.group, to: roomId, type: messageTypes.text });
  }

  /**
   * Sends a message with `message:send` and records its receipt (or failure).
   * @param {import("./im.js").MessageKind} kind
   * @param {{ chatType: number, to: string, type: number, objectId?: string, content?: string }} message
   * @param {(receipt: import("./im.js").ReceiptLike | undefined, error: string | undefined) => void} [then]
   * @returns {string} the messageId
   */
  send(kind, message, then) {
    const sentAt = this.now();
    const messageId = uuidV4(this.random);
    this.seq += 1;
    const content = message.content ?? encodeContent({ sentAt, from: this.userId ?? 0, n: this.seq }, this.o.messageBytes ?? 0);
    this.counts.sent += 1;
    this.recorder.sent(kind);
    this.client.emitWithAck(
      "message:send",
      [{ ...message, messageId, content, timeSend: sentAt }],
      (error, args) => {
        const result = /** @type {{ ok?: boolean, receipt?: import("./im.js").ReceiptLike, error?: { key?: string } } | undefined} */ (
          args[0]
        );
        if (error || !result?.ok) {
          const reason = error ? reasonTag(error.message) : reasonTag(String(result?.error?.key ?? "refused"));
          this.counts.failed += 1;
          this.fail("send", reason, kind);
          then?.(undefined, reason);
          return;
        }
        this.counts.acked += 1;
        this.recorder.acked(kind, this.now() - sentAt);
        this.recorder.succeeded("send");
        then?.(result.receipt, undefined);
      },
      this.o.ackTimeoutMs,
    );
    return messageId;
  }

  /** @param {import("./im.js").DeliveredMessageLike} message */
  onMessage(message) {
    if (message.fromUserId === this.userId) return; // a copy of this user's own message (another device)
    if (message.type === messageTypes.readReceipt) {
      this.counts.readReceipts += 1;
      this.recorder.received("read", undefined);
      return;
    }
    if (message.type !== messageTypes.text) return; // room events and the like
    const meta = decodeContent(message.content);
    if (!meta) return;
    const kind = message.chatType === chatTypes.group ? "group" : "direct";
    this.counts.received += 1;
    this.recorder.received(kind, Math.max(0, this.now() - meta.sentAt));
    if (kind === "direct" && this.o.readReceipts && !this.stopping && typeof message.messageId === "string") {
      this.send("read", {
        chatType: chatTypes.single,
        to: String(message.fromUserId),
        type: messageTypes.readReceipt,
        objectId: message.messageId,
        content: "",
      });
    }
  }

  /**
   * @param {string} op @param {string} reason @param {import("./im.js").MessageKind} [kind]
   */
  fail(op, reason, kind) {
    this.recorder.failed(op, reason, kind);
  }

  /** Stops sending, waits for outstanding acks (at most ackTimeoutMs), then closes the connection. */
  stop() {
    if (this.stopping || this.done) return;
    this.stopping = true;
    for (const id of this.intervals.splice(0)) this.o.timers.clearInterval(id);
    const deadline = this.now() + this.o.ackTimeoutMs;
    const check = () => {
      if (this.done) return;
      if (this.client.pendingAcks.size === 0 || this.now() >= deadline) this.client.close();
      else this.later(check, 50);
    };
    check();
  }

  /** @param {string} reason */
  finish(reason) {
    if (this.done) return;
    this.done = true;
    const asked = this.stopping;
    // One failure per session end that was not asked for: before session:ready it is a failed connect.
    if (!asked && !this.refused) this.fail(this.ready ? "disconnect" : "connect", this.lastError ?? reasonTag(reason));
    this.stopping = true;
    for (const id of this.intervals.splice(0)) this.o.timers.clearInterval(id);
    for (const id of this.timeouts.splice(0)) this.o.timers.clearTimeout(id);
    this.o.onDone?.(reason, this.counts, this.ready && asked);
  }
}

/**
 * The Socket.IO handshake auth of this platform (apps/gateway handshake.ts).
 * @param {string} token @param {string} [resource]
 */
export function handshakeAuth(token, resource = "web") {
  return { token, resource, protocolVersion: PROTOCOL_VERSION };
}
