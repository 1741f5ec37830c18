// Shared helpers of the rooms*.test.ts and groups*.test.ts files.
import assert from "node:assert/strict";
import type { ApiClient, Reply } from "./client.js";
import type { TestStack } from "./stack.js";
import { registerUser, type TestUser } from "./users.js";

export interface RoomView {
  roomId: string;
  name: string;
  desc: string;
  notice: string;
  ownerId: number;
  maxUserSize: number;
  userSize: number;
  isNeedVerify: number;
  isPublic: number;
  showRead: number;
  talkTime: number;
  createTime: number;
  modifyTime: number;
  role?: number;
}

export interface MemberView {
  userId: number;
  nickname: string;
  avatarUrl: string;
  role: number;
  talkTime: number;
  joinTime: number;
}

export interface Page<T> {
  items: T[];
  page: number;
  pageSize: number;
  hasMore: boolean;
}

/** An array of users whose first ten entries destructure as present. */
export type Users = TestUser[] & { [K in 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9]: TestUser };

/** Room operations through the real API, for one stack. */
export class Rooms {
  constructor(
    readonly stack: TestStack,
    readonly client: ApiClient,
  ) {}

  get models() {
    return this.stack.api.deps.models;
  }

  /** A new user; `friendsVerify: 0` lets others befriend them directly. */
  async user(nickname?: string): Promise<TestUser> {
    const user = await registerUser(this.stack, this.client, nickname ? { nickname } : {});
    const reply = await this.client.patch("/v1/users/me/settings", { friendsVerify: 0 }, user.token);
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    return user;
  }

  /** `count` new users (at most 10 are typed as present when destructured; more are fine as an array). */
  async users(count: number): Promise<Users> {
    const users: TestUser[] = [];
    for (let i = 0; i < count; i++) users.push(await this.user());
    return users as Users;
  }

  /** Makes `a` friends with each of `others` (they have friendsVerify 0). */
  async befriend(a: TestUser, ...others: TestUser[]): Promise<void> {
    for (const other of others) {
      const reply = await this.client.post<{ result: string }>(`/v1/friends/${other.userId}`, {}, a.token);
      assert.equal(reply.status, 200, JSON.stringify(reply.body));
      assert.equal(reply.body.result, "friends");
    }
  }

  create(owner: TestUser, body: Record<string, unknown>) {
    return this.client.post<RoomView>("/v1/rooms", body, owner.token);
  }

  /** Creates a room with `members` (befriended first) and returns its id. */
  async room(owner: TestUser, members: TestUser[] = [], extra: Record<string, unknown> = {}): Promise<string> {
    await this.befriend(owner, ...members);
    const reply = await this.create(owner, { name: "room", userIds: members.map((m) => m.userId), ...extra });
    assert.equal(reply.status, 201, JSON.stringify(reply.body));
    return reply.body.roomId;
  }

  get(user: TestUser, roomId: string) {
    return this.client.get<RoomView>(`/v1/rooms/${roomId}`, user.token);
  }

  join(user: TestUser, roomId: string, body: unknown = {}) {
    return this.client.post<{ status: string }>(`/v1/rooms/${roomId}/join`, body, user.token);
  }

  invite(user: TestUser, roomId: string, userIds: number[]) {
    return this.client.post<{ added: number[] }>(`/v1/rooms/${roomId}/members`, { userIds }, user.token);
  }

  remove(user: TestUser, roomId: string, userId: number) {
    return this.client.delete(`/v1/rooms/${roomId}/members/${userId}`, user.token);
  }

  patch(user: TestUser, roomId: string, body: unknown) {
    return this.client.patch<RoomView>(`/v1/rooms/${roomId}`, body, user.token);
  }

  putMember(user: TestUser, roomId: string, userId: number, body: unknown) {
    return this.client.call<MemberView>("PUT", `/v1/rooms/${roomId}/members/${userId}`, { body, token: user.token });
  }

  delete(user: TestUser, roomId: string) {
    return this.client.delete(`/v1/rooms/${roomId}`, user.token);
  }

  async memberIds(user: TestUser, roomId: string): Promise<number[]> {
    const reply = await this.client.get<Page<MemberView>>(`/v1/rooms/${roomId}/members?pageSize=100`, user.token);
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    return reply.body.items.map((m) => m.userId).sort((a, b) => a - b);
  }

  /** The stored userSize equals a fresh count of the members collection. */
  async expectSize(roomId: string, expected: number): Promise<void> {
    const room = await this.models.rooms.findOne({ roomId }).lean();
    assert.equal(room?.userSize, expected, "stored userSize");
    assert.equal(await this.models.roomMembers.countDocuments({ roomId }), expected, "member documents");
  }
}

export const ids = (...users: TestUser[]) => users.map((u) => u.userId).sort((a, b) => a - b);

export function expectStatus(reply: Reply<unknown>, status: number): void {
  assert.equal(reply.status, status, JSON.stringify(reply.body));
}
