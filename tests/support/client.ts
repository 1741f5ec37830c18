import type { ErrorBody } from "@im/protocol";

export interface Reply<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

export interface CallOptions {
  body?: unknown;
  token?: string;
  headers?: Record<string, string>;
  /** Send this exact text as the body instead of JSON-encoding `body`. */
  raw?: string;
}

/** A small HTTP client over fetch for the tests: real requests to the real server. */
export class ApiClient {
  constructor(readonly baseUrl: string) {}

  async call<T = Record<string, unknown>>(method: string, path: string, options: CallOptions = {}): Promise<Reply<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | undefined;
    if (options.raw !== undefined) {
      body = options.raw;
      headers["content-type"] ??= "application/json";
    } else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers["content-type"] = "application/json";
    }
    const response = await fetch(`${this.baseUrl}${path}`, { method, headers, body });
    const text = await response.text();
    let parsed: unknown = text;
    if (text && response.headers.get("content-type")?.includes("json")) parsed = JSON.parse(text);
    return { status: response.status, body: parsed as T, headers: response.headers };
  }

  get<T = Record<string, unknown>>(path: string, token?: string) {
    return this.call<T>("GET", path, token ? { token } : {});
  }

  post<T = Record<string, unknown>>(path: string, body?: unknown, token?: string) {
    return this.call<T>("POST", path, { body, ...(token ? { token } : {}) });
  }

  patch<T = Record<string, unknown>>(path: string, body?: unknown, token?: string) {
    return this.call<T>("PATCH", path, { body, ...(token ? { token } : {}) });
  }

  delete<T = Record<string, unknown>>(path: string, token?: string) {
    return this.call<T>("DELETE", path, token ? { token } : {});
  }
}

/** The error of a reply, typed. */
export const errorOf = (reply: Reply<unknown>) => (reply.body as ErrorBody).error;
