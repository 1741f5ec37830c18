import { withLocks } from "@im/infra";
import type { FriendNoticeType } from "@im/protocol";
import type { ApiDeps } from "../../context.js";
import { recountUser } from "./counts.js";
import { deliverNotices, type Notice, writeNotices } from "./notices.js";
import { loadPair, type Pair, savePair } from "./pair.js";

/** The Redis lock every change to a user's relationships, counts or friend groups holds. */
export const friendLock = (userId: number) => `lock:friend:${userId}`;
/** Popular targets see many requests at once; let them queue rather than fail fast. */
export const FRIEND_LOCK_OPTIONS = { waitMs: 30_000, ttlMs: 15_000 };

export interface PairDraft extends Pair {
  /** Records a notice from me to the other user, written for both sides once the pair is saved. */
  notify(type: FriendNoticeType, content?: string): void;
  /** Runs after the pair is saved, still under both locks. */
  afterSave(work: () => Promise<void>): void;
}

/**
 * The one way relationships change: takes both users' friend locks, loads both directions, lets `edit`
 * decide (it may throw to change nothing), saves, writes notices, then recounts both users exactly.
 */
export async function withPair<T>(deps: ApiDeps, me: number, other: number, edit: (draft: PairDraft) => T | Promise<T>): Promise<T> {
  return withLocks(
    deps.redis,
    [friendLock(me), friendLock(other)],
    async () => {
      const loaded = await loadPair(deps.models, me, other);
      const notices: Notice[] = [];
      const after: Array<() => Promise<void>> = [];
      const draft: PairDraft = {
        me,
        other,
        mine: { ...loaded.pair.mine },
        theirs: { ...loaded.pair.theirs },
        notify: (type, content = "") => void notices.push({ type, content }),
        afterSave: (work) => void after.push(work),
      };
      const result = await edit(draft);
      const [, written] = await Promise.all([savePair(deps, loaded, draft), writeNotices(deps.models, me, other, notices)]);
      for (const work of after) await work();
      // Still under both locks, so a pair's notices reach its users in the order of the changes.
      await deliverNotices(deps, written);
      await Promise.all([recountUser(deps.models, me), recountUser(deps.models, other)]);
      return result;
    },
    FRIEND_LOCK_OPTIONS,
  );
}
