export {
  type AuthInfo,
  type CreatedSession,
  createSession,
  hashToken,
  listSessions,
  type NewSession,
  resolveSession,
  revokeAllSessions,
  revokeSession,
  revokeSessionById,
  type SessionView,
} from "./sessions.js";
