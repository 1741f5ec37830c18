import { AppError } from "@im/protocol";
import type { AuthInfo } from "./route.js";

/** Returns the caller or answers 401: for handlers of routes that must know who calls. */
export function requireAuth(auth: AuthInfo | undefined): AuthInfo {
  if (!auth) throw new AppError("TOKEN_MISSING");
  return auth;
}
