import { resolveSession } from "@im/auth";
import { AppError, errorBody, type FieldIssue, PROTOCOL_VERSION, pickLanguage, resources, serverOnlyResources } from "@im/protocol";
import { z } from "zod";
import type { GatewayDeps, ImSocket } from "./context.js";
import { rememberSession } from "./session-end.js";

const handshakeSchema = z.object({
  token: z.string().min(1).max(512),
  resource: z
    .enum(resources)
    .refine((resource) => !serverOnlyResources.includes(resource), "reserved for the platform's own messages")
    .optional(),
  language: z.string().max(64).optional(),
  protocolVersion: z.number().int().optional(),
});

/** A handshake refusal the client reads from `connect_error` (`err.message` is the key, `err.data` the body). */
function refusal(
  key: "TOKEN_MISSING" | "TOKEN_INVALID" | "VALIDATION_FAILED" | "SERVICE_UNAVAILABLE" | "PROTOCOL_UNSUPPORTED",
  language: string | undefined,
  issues?: FieldIssue[],
) {
  const error = new Error(key) as Error & { data: unknown };
  error.data = errorBody(new AppError(key, { issues }), pickLanguage(language));
  return error;
}

/**
 * Authenticates a connection with the access token from login (handshake `auth.token`, or the seed-style
 * `access_token` query parameter) and records who it is in `socket.data`.
 */
export function handshake(deps: Pick<GatewayDeps, "redis" | "logger" | "metrics">) {
  const refuse = (key: Parameters<typeof refusal>[0], language: string | undefined, issues?: FieldIssue[]) => {
    deps.metrics.handshakeFailures.inc({ reason: key });
    return refusal(key, language, issues);
  };
  return async (socket: ImSocket, next: (error?: Error) => void) => {
    const query = socket.handshake.query;
    const raw = {
      token: socket.handshake.auth?.token ?? (typeof query.access_token === "string" ? query.access_token : undefined),
      resource: socket.handshake.auth?.resource ?? (typeof query.resource === "string" ? query.resource : undefined),
      language: socket.handshake.auth?.language ?? socket.handshake.headers["accept-language"],
      protocolVersion: socket.handshake.auth?.protocolVersion,
    };
    const language = typeof raw.language === "string" ? raw.language : undefined;
    if (raw.token === undefined || raw.token === "") return next(refuse("TOKEN_MISSING", language));
    const parsed = handshakeSchema.safeParse(raw);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((issue) => ({ field: issue.path.join("."), message: issue.message }));
      return next(refuse("VALIDATION_FAILED", language, issues));
    }
    // Clients that say nothing speak version 1; a client built for another version is told to update.
    if (parsed.data.protocolVersion !== undefined && parsed.data.protocolVersion !== PROTOCOL_VERSION) {
      return next(refuse("PROTOCOL_UNSUPPORTED", language));
    }
    try {
      const session = await resolveSession(deps.redis, parsed.data.token);
      if (!session) return next(refuse("TOKEN_INVALID", language));
      socket.data = {
        userId: session.userId,
        resource: parsed.data.resource ?? (session.resource || "web"),
        deviceId: session.deviceId,
        sessionId: session.sessionId,
      };
      rememberSession(socket, session.tokenHash);
      next();
    } catch (error) {
      deps.logger.warn({ err: error }, "handshake could not reach Redis");
      next(refuse("SERVICE_UNAVAILABLE", language));
    }
  };
}
