// The k6 side of the IM scenario, shared by soak.js and spike.js: custom metrics and thresholds, setup()
// (log in or register the load users over HTTP, make or join the load-test room), and one VU iteration = one
// device session held over a k6/websockets WebSocket through lib/socketio.js and lib/im.js.

import { sleep } from "k6";
import { SharedArray } from "k6/data";
import exec from "k6/execution";
import http from "k6/http";
import { Counter, Rate, Trend } from "k6/metrics";
import { clearInterval, clearTimeout, setInterval, setTimeout } from "k6/timers";
import { WebSocket } from "k6/websockets";
import {
  afterLogin,
  createRoomRequest,
  explainAuthFailure,
  generatedUsers,
  handshakeAuth,
  ImSession,
  joinOutcome,
  joinRoomRequest,
  loginRequest,
  parseAuthReply,
  parseRoomReply,
  parseUsersFile,
  registerRequest,
} from "./im.js";
import { SocketIoClient } from "./socketio.js";

export const metrics = {
  /** message:send → the server's receipt (ack), ms; tagged kind = direct | group | read. */
  receipt: new Trend("im_receipt_latency", true),
  /** message:send → a VU receives the message (content carries the send time), ms; kind = direct | group. */
  delivery: new Trend("im_delivery_latency", true),
  /** WebSocket created → session:ready, ms. */
  connect: new Trend("im_connect_latency", true),
  /** 1 per failed connect/send/unasked disconnect/im:error, 0 per successful connect/send; tagged op, reason. */
  errors: new Rate("im_errors"),
  sent: new Counter("im_messages_sent"),
  acked: new Counter("im_messages_acked"),
  received: new Counter("im_messages_received"),
};

/** @type {import("./im.js").ImRecorder} */
export const recorder = {
  connected: (ms) => metrics.connect.add(ms),
  sent: (kind) => metrics.sent.add(1, { kind }),
  acked: (kind, ms) => {
    metrics.acked.add(1, { kind });
    metrics.receipt.add(ms, { kind });
  },
  received: (kind, ms) => {
    metrics.received.add(1, { kind });
    if (ms !== undefined) metrics.delivery.add(ms, { kind });
  },
  failed: (op, reason, kind) => metrics.errors.add(1, kind ? { op, reason, kind } : { op, reason }),
  succeeded: (op) => metrics.errors.add(0, { op }),
};

/**
 * Thresholds from RECEIPT_P99_MS, DELIVERY_P99_MS, ERROR_RATE (ABORT_ON_FAIL stops the run early on the
 * receipt and error thresholds). The per-kind entries also make k6 print those sub-metrics in the summary.
 * @param {import("./im.js").ImConfig} config
 * @returns {Record<string, Array<string | { threshold: string, abortOnFail?: boolean, delayAbortEval?: string }>>}
 */
export function thresholds(config) {
  const receipt = `p(99)<${config.receiptP99Ms}`;
  const delivery = `p(99)<${config.deliveryP99Ms}`;
  const abort = { abortOnFail: config.abortOnFail, delayAbortEval: "1m" };
  /** @type {Record<string, Array<string | { threshold: string, abortOnFail?: boolean, delayAbortEval?: string }>>} */
  const result = {
    im_receipt_latency: [{ threshold: receipt, ...abort }],
    im_delivery_latency: [delivery],
    im_errors: [{ threshold: `rate<${config.errorRate}`, ...abort }],
    "im_errors{op:connect}": [`rate<${config.errorRate}`],
    "im_errors{op:send}": [`rate<${config.errorRate}`],
  };
  // Per-kind entries only for traffic that is configured (a sub-metric without samples says nothing).
  const kinds = [];
  if (config.msgIntervalSeconds > 0) kinds.push("direct");
  if (config.group !== "none" && config.groupIntervalSeconds > 0 && config.groupSize > 0) kinds.push("group");
  for (const kind of kinds) {
    result[`im_receipt_latency{kind:${kind}}`] = [receipt];
    result[`im_delivery_latency{kind:${kind}}`] = [delivery];
  }
  return result;
}

export const summaryTrendStats = ["avg", "min", "med", "p(90)", "p(95)", "p(99)", "max", "count"];

/**
 * The USERS_FILE entries, read once in the init context and shared by all VUs (only setup() uses them).
 * Give an absolute path: k6 resolves relative paths of open() against the script's folder.
 * @param {import("./im.js").ImConfig} config
 * @returns {import("./im.js").UserEntry[] | undefined}
 */
export function loadUsersFile(config) {
  const path = config.usersFile;
  if (!path) return undefined;
  return /** @type {import("./im.js").UserEntry[]} */ (
    /** @type {unknown} */ (new SharedArray("im-users", () => parseUsersFile(open(path), config.areaCode)))
  );
}

/** @param {import("./im.js").HttpRequest} request @param {string} name */
function batchItem(request, name) {
  return { method: request.method, url: request.url, body: request.body, params: { headers: request.headers, tags: { name } } };
}

/**
 * setup(): a token and userId for every load user (USERS of them), and the room. Logs in through the API
 * (SETUP_CONCURRENCY requests at a time); generated users that do not exist yet are registered when
 * REGISTER is on (the API must run with API_SMS_REQUIRED=false). Throws, which stops k6, when a user cannot
 * be provisioned.
 * @param {import("./im.js").ImConfig} config
 * @param {import("./im.js").UserEntry[] | undefined} fromFile
 * @returns {import("./scenario.js").SetupData}
 */
export function setupUsers(config, fromFile) {
  const entries = (fromFile ? [...fromFile] : generatedUsers(config)).slice(0, config.users);
  /** @type {Array<[number, string]>} */
  const users = [];
  for (let start = 0; start < entries.length; start += config.setupConcurrency) {
    const chunk = entries.slice(start, start + config.setupConcurrency);
    /** @type {Array<[number, string] | undefined>} */
    const got = chunk.map((entry) => ("token" in entry ? [entry.userId, entry.token] : undefined));
    const toLogin = /** @type {Array<{ i: number, cred: import("./im.js").Credentials }>} */ ([]);
    chunk.forEach((entry, i) => {
      if (!("token" in entry)) toLogin.push({ i, cred: entry });
    });
    const logins = http.batch(toLogin.map(({ cred }) => batchItem(loginRequest(config, cred), "login")));
    const toRegister = /** @type {typeof toLogin} */ ([]);
    toLogin.forEach(({ i, cred }, j) => {
      const reply = parseAuthReply(logins[j]?.status ?? 0, /** @type {string | null} */ (logins[j]?.body ?? null));
      const next = afterLogin(reply, config.register && !fromFile);
      if (next === "use" && reply.ok) got[i] = [reply.userId, reply.token];
      else if (next === "register") toRegister.push({ i, cred });
      else throw new Error(explainAuthFailure(reply, `login of ${cred.areaCode}${cred.phone}`));
    });
    const registered = http.batch(toRegister.map(({ cred }) => batchItem(registerRequest(config, cred), "register")));
    toRegister.forEach(({ i, cred }, j) => {
      const reply = parseAuthReply(registered[j]?.status ?? 0, /** @type {string | null} */ (registered[j]?.body ?? null));
      if (!reply.ok) throw new Error(explainAuthFailure(reply, `registration of ${cred.areaCode}${cred.phone}`));
      got[i] = [reply.userId, reply.token];
    });
    for (const user of got) if (user) users.push(user);
  }
  if (users.length === 0) throw new Error("no load users");
  const { roomId, groupMembers } = setupRoom(config, users);
  console.log(
    `k6 IM setup: ${users.length} users, room ${roomId ?? "none"} (${groupMembers} members sending), WS ${config.wsUrl}, ` +
      `1:1 every ${config.msgIntervalSeconds}s, group every ${config.groupIntervalSeconds}s per member`,
  );
  return { users, roomId, groupMembers };
}

/**
 * GROUP=create: user 0 creates a room; GROUP=<roomId>: that room. Then the first GROUP_SIZE users join it
 * (ALREADY_ROOM_MEMBER is fine; a room that needs approval is not). GROUP=none or GROUP_INTERVAL=0: no room.
 * @param {import("./im.js").ImConfig} config
 * @param {Array<[number, string]>} users
 * @returns {{ roomId: string | undefined, groupMembers: number }}
 */
function setupRoom(config, users) {
  if (config.group === "none" || config.groupIntervalSeconds === 0 || config.groupSize === 0) return { roomId: undefined, groupMembers: 0 };
  const members = users.slice(0, Math.min(config.groupSize, users.length));
  let roomId = config.group;
  let first = 0;
  if (roomId === "create") {
    const owner = /** @type {[number, string]} */ (members[0]);
    const request = createRoomRequest(config, owner[1], `k6 load ${new Date().toISOString()}`);
    const reply = http.post(request.url, request.body, { headers: request.headers, tags: { name: "create room" } });
    const created = parseRoomReply(reply.status, /** @type {string | null} */ (reply.body));
    if (!created) throw new Error(`creating the load room: ${reply.status} ${String(reply.body).slice(0, 300)}`);
    roomId = created;
    first = 1; // the owner is a member already
  }
  for (let start = first; start < members.length; start += config.setupConcurrency) {
    const chunk = members.slice(start, start + config.setupConcurrency);
    const replies = http.batch(chunk.map(([, token]) => batchItem(joinRoomRequest(config, token, roomId), "join room")));
    chunk.forEach(([userId], j) => {
      const outcome = joinOutcome(replies[j]?.status ?? 0, /** @type {string | null} */ (replies[j]?.body ?? null));
      if (outcome !== "joined") throw new Error(`user ${userId} joining room ${roomId}: ${outcome}`);
    });
  }
  return { roomId, groupMembers: members.length };
}

/**
 * What setup() hands to every VU: [userId, token] per user, the room and how many of the first users are in it.
 * @typedef {{ users: Array<[number, string]>, roomId: string | undefined, groupMembers: number }} SetupData
 */

const timers = { setTimeout, clearTimeout, setInterval, clearInterval };
/** @type {number[] | undefined} */
let peers;
let lastSessionFailed = false;

/**
 * One VU iteration: one device session of user (VU - 1) mod USERS, for SESSION_SECONDS (±10 %, and never past
 * `endsAt`), then the iteration ends and the next one reconnects. After a session that failed, the next one
 * waits 1–3 s first so a broken gateway is not hammered.
 * @param {import("./im.js").ImConfig} config
 * @param {import("./scenario.js").SetupData} data
 * @param {number} [endsAt] epoch ms when the scenario's sending should end
 */
export function runSession(config, data, endsAt) {
  const vu = exec.vu.idInTest;
  const index = (vu - 1) % data.users.length;
  const [, token] = /** @type {[number, string]} */ (data.users[index]);
  peers ??= data.users.map(([id]) => id);
  const start = () => {
    let sessionMs = Math.round(config.sessionSeconds * 1000 * (0.9 + 0.2 * Math.random()));
    if (endsAt !== undefined) sessionMs = Math.min(sessionMs, endsAt - Date.now());
    if (sessionMs < 1000) {
      sleep(1); // the scenario is about to end: no new session
      return;
    }
    const ws = new WebSocket(config.wsUrl, null, { tags: { name: "socket.io" } });
    const client = new SocketIoClient({
      auth: handshakeAuth(token, config.resource),
      ackTimeoutMs: config.ackTimeoutMs,
      connectTimeoutMs: config.connectTimeoutMs,
      timers,
    }).attach(ws);
    const session = new ImSession({
      client,
      recorder,
      timers,
      peers: /** @type {number[]} */ (peers),
      roomId: index < data.groupMembers ? data.roomId : undefined,
      directIntervalMs: config.msgIntervalSeconds * 1000,
      groupIntervalMs: config.groupIntervalSeconds * 1000,
      readReceipts: config.readReceipts,
      sessionMs,
      ackTimeoutMs: config.ackTimeoutMs,
      messageBytes: config.messageBytes,
      onDone: (_reason, _counts, ok) => {
        lastSessionFailed = !ok;
      },
    });
    session.start();
  };
  if (lastSessionFailed) {
    lastSessionFailed = false;
    setTimeout(start, 1000 + Math.random() * 2000);
  } else start();
}
