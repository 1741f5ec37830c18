// Shared helpers of the friends*.test.ts files.
import assert from "node:assert/strict";
import { countRelations } from "@im/api";
import type { Models } from "@im/data";
import { ApiClient, errorOf, type Reply } from "./client.js";
import { startStack, type TestStack } from "./stack.js";
import { registerUser, type TestUser } from "./users.js";

export interface Counts {
  friendsCount: number;
  fansCount: number;
  attCount: number;
}

export interface NoticeRow {
  toUserId: number;
  nickname: string;
  avatarUrl: string;
  type: number;
  content: string;
  direction: number;
  createTime: number;
}

export interface Page<T> {
  items: T[];
  page: number;
  pageSize: number;
  hasMore: boolean;
}

/** One stack per test file plus shortcuts over its client and database. */
export class FriendsWorld {
  private constructor(
    readonly stack: TestStack,
    readonly client: ApiClient,
  ) {}

  static async start(): Promise<FriendsWorld> {
    const stack = await startStack();
    return new FriendsWorld(stack, new ApiClient(stack.api.url));
  }

  get models(): Models {
    return this.stack.api.deps.models;
  }

  stop() {
    return this.stack.stop();
  }

  async user(settings: Record<string, number> = {}, nickname?: string): Promise<TestUser> {
    const user = await registerUser(this.stack, this.client, nickname ? { nickname } : {});
    if (Object.keys(settings).length > 0) {
      const reply = await this.client.patch("/v1/users/me/settings", settings, user.token);
      assert.equal(reply.status, 200, JSON.stringify(reply.body));
    }
    return user;
  }

  async counts(user: TestUser): Promise<Counts> {
    const me = await this.client.get<Counts>("/v1/users/me", user.token);
    assert.equal(me.status, 200, JSON.stringify(me.body));
    const { friendsCount, fansCount, attCount } = me.body;
    return { friendsCount, fansCount, attCount };
  }

  /** Asserts the stored counts and that they equal a fresh recount from the relationship collections. */
  async expectCounts(user: TestUser, expected: Counts, message = ""): Promise<void> {
    assert.deepEqual(await this.counts(user), expected, `stored counts of ${user.userId} ${message}`);
    assert.deepEqual(await countRelations(this.models, user.userId), expected, `recount of ${user.userId} ${message}`);
  }

  async notices(user: TestUser): Promise<NoticeRow[]> {
    const reply = await this.client.get<Page<NoticeRow>>("/v1/new-friends?pageSize=100", user.token);
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    return reply.body.items;
  }

  /** Notices of one type between `user` and `other`, as [direction, content] pairs. */
  async noticesOf(user: TestUser, other: TestUser, type: number): Promise<Array<[number, string]>> {
    const rows = await this.notices(user);
    return rows.filter((row) => row.toUserId === other.userId && row.type === type).map((row) => [row.direction, row.content]);
  }

  record(from: TestUser, to: TestUser) {
    return this.models.friendships.findOne({ userId: from.userId, toUserId: to.userId }).lean();
  }

  fan(of: TestUser, by: TestUser) {
    return this.models.fans.findOne({ userId: of.userId, toUserId: by.userId }).lean();
  }

  async listIds(user: TestUser, path: string): Promise<number[]> {
    const reply = await this.client.get<Page<{ user: { userId: number } }>>(`${path}?pageSize=100`, user.token);
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    return reply.body.items.map((item) => item.user.userId).sort((a, b) => a - b);
  }

  add(from: TestUser, to: TestUser | number, body: unknown = {}) {
    return this.client.post<{ result: string }>(`/v1/friends/${idOf(to)}`, body, from.token);
  }

  accept(by: TestUser, requester: TestUser | number) {
    return this.client.post<{ result: string }>(`/v1/friends/requests/${idOf(requester)}/accept`, undefined, by.token);
  }

  /** Makes two users friends through the API (a request and its acceptance). */
  async befriend(a: TestUser, b: TestUser): Promise<void> {
    const asked = await this.add(a, b);
    assert.equal(asked.status, 200, JSON.stringify(asked.body));
    if (asked.body.result === "requested") expectOk(await this.accept(b, a), 200);
  }
}

export const idOf = (user: TestUser | number) => (typeof user === "number" ? user : user.userId);

export function expectError(reply: Reply<unknown>, status: number, key: string): void {
  assert.equal(reply.status, status, JSON.stringify(reply.body));
  assert.equal(errorOf(reply).key, key, JSON.stringify(reply.body));
}

export function expectOk(reply: Reply<unknown>, status: number): void {
  assert.equal(reply.status, status, JSON.stringify(reply.body));
}

export const zero: Counts = { friendsCount: 0, fansCount: 0, attCount: 0 };
