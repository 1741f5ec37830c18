import type { KeyObject } from "node:crypto";
import { SignJWT } from "jose";

/** An OAuth access token and when it stops being valid (epoch ms). */
export interface AccessToken {
  token: string;
  expiresAt: number;
}

/**
 * Caches an OAuth access token (FCM, Huawei): fetched on first use, fetched again `earlyMs` before it expires
 * (google-auth-library refreshes 5 minutes early), one fetch at a time however many sends wait for it, and
 * dropped by `invalidate(token)` when the provider says it expired (only if it is still the current one, so a
 * burst of 401s refreshes once).
 */
export class AccessTokenCache {
  private current: AccessToken | undefined;
  private pending: Promise<AccessToken> | undefined;

  constructor(
    private readonly fetchToken: () => Promise<AccessToken>,
    private readonly now: () => number,
    private readonly earlyMs = 5 * 60_000,
  ) {}

  /** A token valid for at least `earlyMs` more; throws what the token route threw. */
  async get(): Promise<string> {
    if (this.current && this.now() < this.current.expiresAt - this.earlyMs) return this.current.token;
    this.pending ??= this.fetchToken().finally(() => {
      this.pending = undefined;
    });
    this.current = await this.pending;
    return this.current.token;
  }

  /** Forgets `token` if it is the cached one. */
  invalidate(token: string): void {
    if (this.current?.token === token) this.current = undefined;
  }
}

/** When APNs provider tokens are made again (Apple: valid for an hour, refreshed at most every 20 minutes). */
export const APNS_TOKEN_REFRESH_MS = 50 * 60_000;
export const APNS_TOKEN_MIN_INTERVAL_MS = 20 * 60_000;

/**
 * The APNs provider token: an ES256 JWT {alg, kid: key id} {iss: team id, iat} signed with the .p8 key (Apple,
 * "Establishing a token-based connection to APNs"). Made on first use and again once 50 minutes old (Apple
 * refuses tokens over an hour old); `expired(token)` (after 403 ExpiredProviderToken) makes a new one only when
 * the current one is at least 20 minutes old (a newer one gets 429 TooManyProviderTokenUpdates) and is that
 * token — else it says how long until one may be made.
 */
export class ApnsProviderToken {
  private current: { jwt: string; issuedAt: number } | undefined;
  private pending: Promise<string> | undefined;

  constructor(
    private readonly key: KeyObject,
    private readonly keyId: string,
    private readonly teamId: string,
    private readonly now: () => number,
  ) {}

  /** The token to send now (made or remade when due). */
  async get(): Promise<string> {
    if (this.current && this.now() - this.current.issuedAt < APNS_TOKEN_REFRESH_MS) return this.current.jwt;
    return this.make();
  }

  /**
   * Apple said `jwt` expired: `{ refreshed: true }` once a new token is current (or another send already replaced
   * it), else `{ refreshed: false, waitMs }` when the current token is under 20 minutes old.
   */
  async expired(jwt: string): Promise<{ refreshed: true } | { refreshed: false; waitMs: number }> {
    const current = this.current;
    if (!current || current.jwt !== jwt) return { refreshed: true };
    const age = this.now() - current.issuedAt;
    if (age < APNS_TOKEN_MIN_INTERVAL_MS) return { refreshed: false, waitMs: APNS_TOKEN_MIN_INTERVAL_MS - age };
    await this.make();
    return { refreshed: true };
  }

  private make(): Promise<string> {
    this.pending ??= (async () => {
      const issuedAt = this.now();
      const jwt = await new SignJWT({ iss: this.teamId, iat: Math.floor(issuedAt / 1000) })
        .setProtectedHeader({ alg: "ES256", kid: this.keyId })
        .sign(this.key);
      this.current = { jwt, issuedAt };
      return jwt;
    })().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }
}
