// The k6 scripts cannot run here (no k6 binary), so their protocol and scenario code is proven against the
// real platform instead: load/k6/lib/socketio.js (Engine.IO v4 / Socket.IO v5 framing) and load/k6/lib/im.js
// (requests, ImSession) driven over raw `ws` WebSockets to a real gateway process and the real API.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { WebSocket } from "ws";
import {
  afterLogin,
  createRoomRequest,
  decodeContent,
  encodeContent,
  type HttpRequest,
  handshakeAuth,
  type ImRecorder,
  ImSession,
  type ImSessionOptions,
  joinOutcome,
  joinRoomRequest,
  loginRequest,
  type MessageKind,
  parseAuthReply,
  parseRoomReply,
  readConfig,
  registerRequest,
  type SessionCounts,
} from "../../load/k6/lib/im.js";
import { encodeSocketPacket, parseEnginePacket, parseSocketPacket, SocketIoClient, socketIoUrl } from "../../load/k6/lib/socketio.js";
import { eventually, gateway, type RealtimeWorld, registerUser, startRealtime } from "../support/realtime.js";
import type { TestUser } from "../support/users.js";

const PING_INTERVAL_MS = 1000;
const PING_TIMEOUT_MS = 1000;
const nodeTimers = { setTimeout, clearTimeout, setInterval, clearInterval };

async function call(request: HttpRequest): Promise<{ status: number; text: string }> {
  const response = await fetch(request.url, { method: request.method, headers: request.headers, body: request.body });
  return { status: response.status, text: await response.text() };
}

function recording() {
  const log = {
    connected: [] as number[],
    sent: [] as MessageKind[],
    acked: [] as Array<[MessageKind, number]>,
    received: [] as Array<[MessageKind, number | undefined]>,
    failed: [] as Array<[string, string]>,
    succeeded: [] as string[],
  };
  const recorder: ImRecorder = {
    connected: (ms) => log.connected.push(ms),
    sent: (kind) => log.sent.push(kind),
    acked: (kind, ms) => log.acked.push([kind, ms]),
    received: (kind, ms) => log.received.push([kind, ms]),
    failed: (op, reason) => log.failed.push([op, reason]),
    succeeded: (op) => log.succeeded.push(op),
  };
  return { log, recorder };
}

interface Ended {
  reason: string;
  counts: SessionCounts;
  ok: boolean;
}

describe("k6 Socket.IO protocol module against the real gateway", () => {
  let world: RealtimeWorld;
  let wsUrl: string;
  const sessions: ImSession[] = [];

  before(async () => {
    world = await startRealtime(1, {
      API_SMS_REQUIRED: "false",
      GATEWAY_PING_INTERVAL_MS: String(PING_INTERVAL_MS),
      GATEWAY_PING_TIMEOUT_MS: String(PING_TIMEOUT_MS),
    });
    wsUrl = socketIoUrl(gateway(world, 0).url);
  });
  after(async () => {
    for (const session of sessions) session.client.close();
    await world.stop();
  });

  /** One device: a raw `ws` WebSocket driven by SocketIoClient and an ImSession, as scenario.js does under k6. */
  function device(token: string, options: Partial<ImSessionOptions> & { autoPong?: boolean; ackTimeoutMs?: number } = {}) {
    const ws = new WebSocket(wsUrl);
    const ackTimeoutMs = options.ackTimeoutMs ?? 5_000;
    const client = new SocketIoClient({
      auth: handshakeAuth(token, "web"),
      ackTimeoutMs,
      connectTimeoutMs: 10_000,
      timers: nodeTimers,
      tickMs: 100,
      autoPong: options.autoPong ?? true,
    }).attach(ws);
    const { log, recorder } = recording();
    let resolveEnded: (ended: Ended) => void = () => {};
    const ended = new Promise<Ended>((resolve) => {
      resolveEnded = resolve;
    });
    const session = new ImSession({
      client,
      recorder,
      timers: nodeTimers,
      peers: [],
      directIntervalMs: 0,
      groupIntervalMs: 0,
      readReceipts: true,
      sessionMs: 0,
      ackTimeoutMs,
      ...options,
      onDone: (reason, counts, ok) => resolveEnded({ reason, counts, ok }),
    });
    session.start();
    sessions.push(session);
    const ready = new Promise<void>((resolve) => session.whenReady(resolve));
    return { ws, client, session, log, ended, ready };
  }

  const users: TestUser[] = [];
  async function user(): Promise<TestUser> {
    const created = await registerUser(world.stack, world.api);
    users.push(created);
    return created;
  }

  it("frames Engine.IO and Socket.IO packets", () => {
    assert.deepEqual(parseEnginePacket('0{"sid":"x"}'), { type: "open", data: '{"sid":"x"}' });
    assert.deepEqual(parseEnginePacket("2"), { type: "ping", data: "" });
    assert.deepEqual(parseSocketPacket('2["message",{"a":1}]'), { type: 2, nsp: "/", data: ["message", { a: 1 }] });
    assert.deepEqual(parseSocketPacket('212["message:send",{}]'), { type: 2, nsp: "/", id: 12, data: ["message:send", {}] });
    assert.deepEqual(parseSocketPacket('37[{"ok":true}]'), { type: 3, nsp: "/", id: 7, data: [{ ok: true }] });
    assert.deepEqual(parseSocketPacket('0/admin,{"sid":"s"}'), { type: 0, nsp: "/admin", data: { sid: "s" } });
    assert.deepEqual(parseSocketPacket('4{"message":"TOKEN_INVALID"}'), { type: 4, nsp: "/", data: { message: "TOKEN_INVALID" } });
    assert.equal(encodeSocketPacket({ type: 0, nsp: "/", data: { token: "t" } }), '40{"token":"t"}');
    assert.equal(encodeSocketPacket({ type: 2, nsp: "/", id: 3, data: ["e", 1] }), '423["e",1]');
    assert.equal(encodeSocketPacket({ type: 3, nsp: "/chat", id: 4, data: [] }), "43/chat,4[]");
    assert.equal(encodeSocketPacket({ type: 1, nsp: "/" }), "41");
    assert.throws(() => parseSocketPacket('51-["e",{"_placeholder":true,"num":0}]'), /binary/);
    assert.equal(socketIoUrl("https://im.example.com/"), "wss://im.example.com/socket.io/?EIO=4&transport=websocket");
    assert.equal(socketIoUrl("http://127.0.0.1:5280"), "ws://127.0.0.1:5280/socket.io/?EIO=4&transport=websocket");
    const config = readConfig({ BASE_URL: "https://im.example.com", RATE: "25", VUS: "100" });
    assert.equal(config.wsUrl, "wss://im.example.com/socket.io/?EIO=4&transport=websocket");
    assert.equal(config.msgIntervalSeconds, 4);
    assert.equal(config.users, 100);
    assert.equal(readConfig({ WS_URL: "http://gw:5280" }).wsUrl, "ws://gw:5280/socket.io/?EIO=4&transport=websocket");
    assert.equal(readConfig({ SPIKE_VUS: "300", BASE_VUS: "10" }, { mode: "spike" }).users, 300);
    assert.throws(() => readConfig({ DURATION: "ten minutes" }), /DURATION/);
    const content = encodeContent({ sentAt: 123, from: 7, n: 2 }, 100);
    assert.equal(content.length, 100);
    assert.deepEqual(decodeContent(content), { sentAt: 123, from: 7, n: 2 });
    assert.equal(decodeContent("hello"), undefined);
  });

  it("logs in and registers over HTTP with the scenario's requests", async () => {
    const config = readConfig({ BASE_URL: world.stack.api.url, PHONE_PREFIX: String(process.pid % 1000).padStart(4, "8") });
    const cred = {
      areaCode: "86",
      phone: `${config.phonePrefix}${String(Date.now() % 1_000_000).padStart(6, "0")}`,
      password: "k6-password",
    };
    const first = await call(loginRequest(config, cred));
    const unknown = parseAuthReply(first.status, first.text);
    assert.equal(unknown.ok, false);
    assert.equal(afterLogin(unknown, true), "register");
    assert.equal(afterLogin(unknown, false), "fail");
    const registered = await call(registerRequest(config, cred));
    const reg = parseAuthReply(registered.status, registered.text);
    assert.ok(reg.ok, registered.text);
    const loggedIn = await call(loginRequest(config, cred));
    const login = parseAuthReply(loggedIn.status, loggedIn.text);
    assert.ok(login.ok, loggedIn.text);
    assert.equal(afterLogin(login, true), "use");
    assert.equal(login.userId, reg.userId);

    const { client, session, ready, ended } = device(login.token);
    await ready;
    assert.equal(client.state, "connected");
    assert.ok(client.sid && client.engineSid, "Socket.IO and Engine.IO session ids");
    assert.equal(client.pingInterval, PING_INTERVAL_MS, "pingInterval from the OPEN packet");
    session.stop();
    assert.equal((await ended).ok, true, "stop() drains and closes cleanly");
  });

  it("sends a 1:1 message with an ack, the peer receives it, and its read receipt comes back", async () => {
    const [alice, bob] = [await user(), await user()];
    const a = device(alice.token);
    const b = device(bob.token);
    await Promise.all([a.ready, b.ready]);
    assert.equal(a.session.userId, alice.userId, "session:ready names the user");

    const receipt = await new Promise<unknown>((resolve, reject) => {
      a.session.send("direct", { chatType: 1, to: String(bob.userId), type: 1 }, (r, error) => (r ? resolve(r) : reject(new Error(error))));
    });
    const expectedConversation = `s_${Math.min(alice.userId, bob.userId)}_${Math.max(alice.userId, bob.userId)}`;
    assert.deepEqual(
      { conversationId: (receipt as { conversationId: string }).conversationId, duplicate: (receipt as { duplicate: boolean }).duplicate },
      { conversationId: expectedConversation, duplicate: false },
    );
    assert.ok((receipt as { seq: number }).seq > 0);
    assert.equal(a.log.acked.length, 1);
    assert.equal(a.log.acked[0]?.[0], "direct");

    await eventually("bob receives the message", () => b.log.received.some(([kind]) => kind === "direct"));
    const [, deliveryMs] = b.log.received.find(([kind]) => kind === "direct") ?? [];
    assert.ok(typeof deliveryMs === "number" && deliveryMs >= 0 && deliveryMs < 5_000, `delivery ${deliveryMs}`);
    // Bob answered with a read receipt (type 26), acknowledged by the server and delivered to Alice.
    await eventually("bob's read receipt is acknowledged", () => b.log.acked.some(([kind]) => kind === "read"));
    await eventually("alice receives the read receipt", () => a.log.received.some(([kind]) => kind === "read"));
    assert.deepEqual([...a.log.failed, ...b.log.failed], []);
    assert.deepEqual(a.log.succeeded, ["connect", "send"]);

    // A raw event the server does not acknowledge times out through tick().
    const timedOut = await new Promise<Error | null>((resolve) =>
      a.client.emitWithAck("no-such-event", [], (error) => resolve(error), 300),
    );
    assert.match(String(timedOut?.message), /ack timeout/);
    a.session.stop();
    b.session.stop();
    assert.equal((await a.ended).ok, true);
    assert.deepEqual([...a.log.failed, ...b.log.failed], [], "a raw emitWithAck is not the session's");
  });

  it("sends a group message to a room made and joined with the scenario's requests", async () => {
    const [owner, m1, m2] = [await user(), await user(), await user()];
    const config = readConfig({ BASE_URL: world.stack.api.url });
    const created = await call(createRoomRequest(config, owner.token, "k6 test room"));
    const roomId = parseRoomReply(created.status, created.text);
    assert.ok(roomId, created.text);
    for (const member of [m1, m2]) {
      const joined = await call(joinRoomRequest(config, member.token, roomId));
      assert.equal(joinOutcome(joined.status, joined.text), "joined", joined.text);
    }
    const again = await call(joinRoomRequest(config, m1.token, roomId));
    assert.equal(joinOutcome(again.status, again.text), "joined", "ALREADY_ROOM_MEMBER counts as joined");

    const o = device(owner.token);
    const d1 = device(m1.token);
    const d2 = device(m2.token);
    await Promise.all([o.ready, d1.ready, d2.ready]);
    await new Promise<void>((resolve, reject) =>
      o.session.send("group", { chatType: 2, to: roomId, type: 1 }, (r, error) => (r ? resolve() : reject(new Error(error)))),
    );
    await eventually("both members receive it", () =>
      [d1, d2].every((d) => d.log.received.some(([kind, ms]) => kind === "group" && typeof ms === "number")),
    );
    assert.deepEqual(o.log.received, [], "the sending device gets no copy");
    assert.deepEqual(
      o.log.acked.map(([kind]) => kind),
      ["group"],
    );
    for (const d of [o, d1, d2]) d.session.stop();
  });

  it("runs the timed session loop: interval sends, read receipts, drain and a clean close", async () => {
    const [x, y] = [await user(), await user()];
    const peers = [x.userId, y.userId];
    const common = { peers, directIntervalMs: 150, groupIntervalMs: 0, sessionMs: 1_500 };
    const dx = device(x.token, common);
    const dy = device(y.token, common);
    const [ex, ey] = await Promise.all([dx.ended, dy.ended]);
    for (const [d, e] of [
      [dx, ex],
      [dy, ey],
    ] as const) {
      assert.equal(e.ok, true, e.reason);
      assert.deepEqual(d.log.failed, []);
      assert.ok(e.counts.sent >= 5, `sent ${e.counts.sent}`);
      assert.equal(e.counts.acked, e.counts.sent, "every send acknowledged before the close");
      assert.equal(d.log.connected.length, 1);
    }
    assert.ok(ex.counts.received + ey.counts.received >= 5, "peers received each other's messages");
    assert.ok(ex.counts.readReceipts + ey.counts.readReceipts > 0, "read receipts came back");
  });

  it("answers pings so the connection outlives several ping intervals, and is dropped when it does not", async () => {
    const [p, q] = [await user(), await user()];
    const alive = device(p.token);
    await alive.ready;
    await new Promise((resolve) => setTimeout(resolve, PING_INTERVAL_MS * 3 + 500));
    assert.equal(alive.client.state, "connected");
    assert.ok(alive.client.pingsAnswered >= 2, `pongs ${alive.client.pingsAnswered}`);
    await new Promise<void>((resolve, reject) =>
      alive.session.send("direct", { chatType: 1, to: String(q.userId), type: 1 }, (r, error) =>
        r ? resolve() : reject(new Error(error)),
      ),
    );

    const silent = device(q.token, { autoPong: false });
    await silent.ready;
    const ended = await silent.ended;
    assert.equal(ended.ok, false);
    assert.equal(silent.client.pingsAnswered, 0);
    assert.equal(silent.log.failed[0]?.[0], "disconnect", JSON.stringify(silent.log.failed));
    assert.equal(alive.client.state, "connected");
    alive.session.stop();
  });

  it("reports CONNECT_ERROR for a bad token as a failed connect", async () => {
    const bad = device("not-a-valid-token");
    let refusal: { message: string; data: unknown } | undefined;
    bad.client.on("connect_error", (error) => {
      refusal = error;
    });
    const ended = await bad.ended;
    assert.equal(ended.ok, false);
    assert.equal(refusal?.message, "TOKEN_INVALID");
    assert.equal((refusal?.data as { error?: { key?: string } })?.error?.key, "TOKEN_INVALID");
    assert.deepEqual(bad.log.failed, [["connect", "TOKEN_INVALID"]]);
    assert.equal(bad.client.state, "closed");
    assert.deepEqual(bad.log.connected, []);
  });
});
