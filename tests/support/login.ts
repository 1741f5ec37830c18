import assert from "node:assert/strict";
import type { ApiClient } from "./client.js";
import type { TestUser } from "./users.js";

/** What POST /v1/auth/login answers. */
export interface LoginReply {
  accessToken: string;
  expiresAt: number;
  sessionId: string;
  user: { userId: number };
}

/** One row of GET /v1/auth/sessions. */
export interface SessionItem {
  sessionId: string;
  resource: string;
  deviceId: string;
  ip: string;
  createdAt: number;
  current: boolean;
}

/** Login and session calls of the auth tests, on the API client `client()` returns (set in `before`). */
export function loginHelpers(client: () => ApiClient) {
  const login = (user: TestUser, extra: Record<string, unknown> = {}, password = user.password) =>
    client().post<LoginReply>("/v1/auth/login", { areaCode: user.areaCode, phone: user.phone, password, ...extra });
  const loginOk = async (user: TestUser, extra: Record<string, unknown> = {}) => {
    const reply = await login(user, extra);
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    return reply.body;
  };
  const works = async (token: string) => (await client().get("/v1/users/me", token)).status === 200;
  const sessions = async (token: string) => {
    const reply = await client().get<{ items: SessionItem[] }>("/v1/auth/sessions", token);
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    return reply.body.items;
  };
  return { login, loginOk, works, sessions };
}
