import type { Models } from "@im/data";
import type { FriendNoticeType } from "@im/protocol";

export interface Notice {
  type: FriendNoticeType;
  content: string;
}

/** Writes a NewFriends record for each side: the actor's (direction 0) and the other user's (direction 1). */
export async function writeNotices(models: Models, actor: number, other: number, notices: Notice[]): Promise<void> {
  if (notices.length === 0) return;
  const now = Date.now();
  const docs = notices.flatMap(({ type, content }) => [
    { userId: actor, toUserId: other, type, content, direction: 0, delivered: false, createTime: now, modifyTime: now },
    { userId: other, toUserId: actor, type, content, direction: 1, delivered: false, createTime: now, modifyTime: now },
  ]);
  await models.newFriends.insertMany(docs);
}
