// Talks to the API over plain fetch: registers the load users, befriends and makes the load-test room.
export interface LoadUser {
  userId: number;
  token: string;
}

interface Reply<T> {
  status: number;
  body: T;
}

/**
 * One API call; a `BUSY_RETRY` refusal (nothing was done: e.g. a per-user lock stayed taken too long while
 * the owner befriends many users at once) or a `RATE_LIMITED` one (API_RATE_NOTICE_*) is retried after its
 * `retryAfterSeconds`, jittered, as clients must.
 */
async function call<T>(api: string, method: string, path: string, body?: unknown, token?: string): Promise<Reply<T>> {
  for (let attempt = 1; ; attempt++) {
    const reply = await callOnce<T>(api, method, path, body, token);
    const retryable =
      (reply.status === 503 && errorKey(reply.body) === "BUSY_RETRY") || (reply.status === 429 && errorKey(reply.body) === "RATE_LIMITED");
    if (!retryable || attempt >= 10) return reply;
    const after = (reply.body as { error?: { retryAfterSeconds?: number } }).error?.retryAfterSeconds ?? 1;
    await new Promise((resolve) => setTimeout(resolve, after * 1000 * (0.5 + Math.random())));
  }
}

async function callOnce<T>(api: string, method: string, path: string, body?: unknown, token?: string): Promise<Reply<T>> {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(`${api}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text for the error message
  }
  return { status: response.status, body: parsed as T };
}

const errorKey = (body: unknown) => (body as { error?: { key?: string } } | undefined)?.error?.key;

function expect(reply: Reply<unknown>, status: number, what: string): void {
  if (reply.status === status) return;
  if (errorKey(reply.body) === "SMS_CODE_INVALID") {
    throw new Error(
      `${what}: the API requires an SMS code to register (API_SMS_REQUIRED=true). Start it with API_SMS_REQUIRED=false, or run with --embedded`,
    );
  }
  throw new Error(`${what}: HTTP ${reply.status} ${JSON.stringify(reply.body)}`);
}

/** Runs `work` over `items` with at most `limit` in flight. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Registers `count` users with fresh phone numbers; each lets others befriend them without approval. */
export async function registerUsers(api: string, count: number, concurrency = 16): Promise<LoadUser[]> {
  const run = `${Date.now() % 100_000_000}`.padStart(8, "0");
  return mapLimit(
    Array.from({ length: count }, (_, i) => i),
    concurrency,
    async (i) => {
      const phone = `7${run}${String(i).padStart(6, "0")}`;
      const reply = await call<{ accessToken: string; user: { userId: number } }>(api, "POST", "/v1/auth/register", {
        areaCode: "86",
        phone,
        password: "e10adc3949ba59abbe56e057f20f883e",
        nickname: `load-${i}`,
      });
      expect(reply, 201, `registering load user ${i}`);
      const user = { userId: reply.body.user.userId, token: reply.body.accessToken };
      expect(await call(api, "PATCH", "/v1/users/me/settings", { friendsVerify: 0 }, user.token), 200, `settings of user ${user.userId}`);
      return user;
    },
  );
}

/** The owner befriends each member, then creates the room with them all; returns the roomId. */
export async function createRoom(api: string, owner: LoadUser, members: readonly LoadUser[], concurrency = 8): Promise<string> {
  await mapLimit(members, concurrency, async (member) => {
    const reply = await call<{ result: string }>(api, "POST", `/v1/friends/${member.userId}`, {}, owner.token);
    expect(reply, 200, `befriending ${member.userId}`);
    if (reply.body.result !== "friends") throw new Error(`befriending ${member.userId}: ${JSON.stringify(reply.body)}`);
  });
  const reply = await call<{ roomId: string }>(
    api,
    "POST",
    "/v1/rooms",
    { name: "load-test", userIds: members.map((m) => m.userId) },
    owner.token,
  );
  expect(reply, 201, "creating the load-test room");
  return reply.body.roomId;
}
