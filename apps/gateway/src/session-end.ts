import { type SessionEndReason as AuthSessionEndReason, SESSIONS_ENDED_CHANNEL, sessionTimesLeft } from "@im/auth";
import type { Redis } from "@im/infra";
import { AppError, errorBody, pickLanguage, type SessionEndReason, sessionEndReasons } from "@im/protocol";
import type { Logger } from "@im/telemetry";
import { z } from "zod";
import type { ImServer, ImSocket } from "./context.js";

/** A session-ended announcement from Redis (libs/auth `SessionsEnded`), parsed, not trusted. */
const sessionsEndedSchema = z.object({
  userId: z.number().int().positive(),
  sessionIds: z.array(z.string().min(1)),
  reason: z.enum(sessionEndReasons),
});
// libs/auth publishes the reasons the protocol names, no more, no fewer (a compile-time check).
const sameReasons: [AuthSessionEndReason, SessionEndReason] extends [SessionEndReason, AuthSessionEndReason] ? true : never = true;
void sameReasons;

/** What is known about one socket's session. */
interface Watched {
  tokenHash: string;
  /** When the session was last seen alive in Redis (epoch ms). */
  checkedAt: number;
  /** When the session's TTL runs out (epoch ms; Infinity without a TTL). */
  expiresAt: number;
  /** The check under way, shared by every event that waits for it (so events keep their order). */
  checking: Promise<SessionEndReason | undefined> | undefined;
  timer: ReturnType<typeof setTimeout> | undefined;
}

const tokenHashes = new WeakMap<ImSocket, string>();
const ended = new WeakSet<ImSocket>();
/** setTimeout's longest delay (~24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Records the token hash a socket authenticated with (called by the handshake). */
export function rememberSession(socket: ImSocket, tokenHash: string): void {
  tokenHashes.set(socket, tokenHash);
}

/** True once the socket's session ended: nothing more it sent may be served. */
export const sessionHasEnded = (socket: ImSocket): boolean => ended.has(socket);

export interface SessionEnds {
  /** Unsubscribes and stops the timers. */
  close(): Promise<void>;
}

/**
 * Ends sockets whose session ended (issue 10 1d): subscribes to libs/auth's session-ended channel and
 * disconnects the matching local sockets (`session:ended {reason}`, then `disconnect(true)`); re-checks each
 * new socket's session once it is findable (closing the race with a revocation during the handshake);
 * re-checks before an event when the last check is older than `checkMs`; ends a socket when its token's TTL
 * runs out; and re-checks every socket every 6 × `checkMs` and after the subscription reconnects (lost
 * announcements). A refused event is answered TOKEN_INVALID.
 */
export async function watchSessionEnds(
  io: ImServer,
  redis: Redis,
  logger: Logger,
  options: { checkMs: number; onEnded?: (reason: SessionEndReason) => void },
): Promise<SessionEnds> {
  const watched = new Map<ImSocket, Watched>();
  const bySession = new Map<string, Set<ImSocket>>();

  const end = (socket: ImSocket, reason: SessionEndReason) => {
    if (ended.has(socket)) return;
    ended.add(socket);
    forget(socket);
    options.onEnded?.(reason);
    socket.emit("session:ended", { reason });
    socket.disconnect(true);
  };
  const forget = (socket: ImSocket) => {
    const entry = watched.get(socket);
    if (entry?.timer) clearTimeout(entry.timer);
    watched.delete(socket);
    const set = bySession.get(socket.data.sessionId);
    set?.delete(socket);
    if (set?.size === 0) bySession.delete(socket.data.sessionId);
  };
  const schedule = (socket: ImSocket, entry: Watched) => {
    if (entry.timer) clearTimeout(entry.timer);
    entry.timer = undefined;
    if (!Number.isFinite(entry.expiresAt)) return;
    entry.timer = setTimeout(() => checkAndEnd(socket), Math.min(MAX_TIMER_MS, Math.max(0, entry.expiresAt - Date.now()) + 50));
    entry.timer.unref();
  };
  /** Applies what Redis said about a session (ms left, or null when gone): the reason it ended, if it did. */
  const apply = (socket: ImSocket, entry: Watched, left: number | null | undefined): SessionEndReason | undefined => {
    const now = Date.now();
    if (left === null || left === undefined) return now >= entry.expiresAt ? "expired" : "revoked";
    entry.checkedAt = now;
    entry.expiresAt = now + left;
    schedule(socket, entry);
    return undefined;
  };
  /** Checks the socket's session in Redis: resolves with the reason it ended, or undefined while it lives. */
  const check = (socket: ImSocket): Promise<SessionEndReason | undefined> => {
    const entry = watched.get(socket);
    if (!entry) return Promise.resolve(ended.has(socket) ? "revoked" : undefined);
    entry.checking ??= sessionTimesLeft(redis, [entry.tokenHash])
      .then(([left]) => (watched.get(socket) === entry ? apply(socket, entry, left) : ended.has(socket) ? "revoked" : undefined))
      // Redis unreachable: the event goes on (its own Redis work reports the outage), and the next events do
      // not each wait for Redis again before `checkMs` has passed.
      .catch(() => {
        entry.checkedAt = Date.now();
        return undefined;
      })
      .finally(() => {
        entry.checking = undefined;
      });
    return entry.checking;
  };
  const checkAndEnd = (socket: ImSocket) =>
    void check(socket).then((reason) => {
      if (reason) end(socket, reason);
    });
  const sweep = async () => {
    const sockets = [...watched.keys()];
    if (sockets.length === 0) return;
    const left = await sessionTimesLeft(
      redis,
      sockets.map((s) => watched.get(s)?.tokenHash ?? ""),
    );
    sockets.forEach((socket, i) => {
      const entry = watched.get(socket);
      const reason = entry && apply(socket, entry, left[i]);
      if (reason) end(socket, reason);
    });
  };

  const listener = redis.duplicate({ connectionName: "gateway-session-ends" });
  let subscribedOnce = false;
  listener.on("ready", () => {
    // After a reconnect announcements may have been missed: check every socket.
    if (subscribedOnce) sweep().catch((error) => logger.warn({ err: error }, "session sweep failed"));
    subscribedOnce = true;
  });
  listener.on("error", (error) => logger.debug({ err: error }, "session-ended subscription error"));
  listener.on("message", (channel: string, raw: string) => {
    if (channel !== SESSIONS_ENDED_CHANNEL) return;
    let parsed: z.output<typeof sessionsEndedSchema>;
    try {
      parsed = sessionsEndedSchema.parse(JSON.parse(raw));
    } catch (error) {
      logger.warn({ err: error }, "malformed session-ended announcement");
      return;
    }
    for (const sessionId of parsed.sessionIds) {
      for (const socket of [...(bySession.get(sessionId) ?? [])]) {
        if (socket.data.userId === parsed.userId) end(socket, parsed.reason);
      }
    }
  });
  await listener.subscribe(SESSIONS_ENDED_CHANNEL);

  io.on("connection", (socket) => {
    const tokenHash = tokenHashes.get(socket);
    if (!tokenHash) return;
    const entry: Watched = { tokenHash, checkedAt: 0, expiresAt: Number.POSITIVE_INFINITY, checking: undefined, timer: undefined };
    watched.set(socket, entry);
    const set = bySession.get(socket.data.sessionId) ?? new Set();
    set.add(socket);
    bySession.set(socket.data.sessionId, set);
    socket.on("disconnect", () => forget(socket));
    // Every event waits for a fresh enough check; a fresh one passes at once, so order is kept.
    socket.use((packet, next) => {
      const current = watched.get(socket);
      if (!ended.has(socket) && current && Date.now() - current.checkedAt < options.checkMs) return next();
      void check(socket).then((reason) => {
        if (!reason && !ended.has(socket)) return next();
        // Answered before the disconnect, so the client learns why its event was not served.
        const ack = packet.at(-1);
        const asked = socket.handshake.auth?.language;
        const language = pickLanguage(typeof asked === "string" ? asked : socket.handshake.headers["accept-language"]);
        if (typeof ack === "function") ack({ ok: false, ...errorBody(new AppError("TOKEN_INVALID"), language) });
        end(socket, reason ?? "revoked");
      });
    });
    // The session may have ended between the handshake and now, before this socket could be found.
    checkAndEnd(socket);
  });

  const sweeper = setInterval(() => sweep().catch((error) => logger.warn({ err: error }, "session sweep failed")), options.checkMs * 6);
  sweeper.unref();
  return {
    async close() {
      clearInterval(sweeper);
      for (const entry of watched.values()) if (entry.timer) clearTimeout(entry.timer);
      await listener.quit().catch(() => undefined);
    },
  };
}
