export { type UserConversationDoc, type UserConversationModel, userConversationModel } from "./conversation-model.js";
export { forgetConversation, rememberConversation } from "./conversations.js";
export { deliveredMedia, type MediaLinks, relativeMediaLinks, type StorableMessage, toDelivered } from "./convert.js";
export { burnStoredMessage, type CopyLocation, copiesOf, findCopy, findStoredMessage, groupRoomId, singleParties } from "./copies.js";
export { type Broadcaster, deliverMessage, userRoom } from "./delivery.js";
export { abandonSeq, resolveSeq } from "./in-flight.js";
export { type BatcherOptions, InsertBatcher, type InsertOutcome, InsertOutcomeUnknownError } from "./insert-batcher.js";
export { KEYWORDS_CHANNEL, KeywordFilter, type KeywordFilterOptions, publishKeywordsChanged } from "./keywords.js";
export { type MessageDoc, type MessageModel, MessageShards, messageDocId, type StoredMedia, tombstoneDocId } from "./message-model.js";
export { createPublisher, type Publisher } from "./publisher.js";
export type { OfflinePushHook, PushOrigin } from "./push-hook.js";
export {
  applyReadReceipt,
  checkReadReceipt,
  READ_TTL_SECONDS,
  readCount,
  readCounts,
  readKey,
  readReceiptMessageId,
  recordRead,
} from "./read-receipts.js";
export { checkRecall, markRecalled, type RecallCheck } from "./recall.js";
export { type RoomEventContent, type RoomEventType, roomEventTypes, sendRoomEvent } from "./room-events.js";
export { currentRoomSeq, enterRoomConversation, leaveRoomConversation } from "./room-membership.js";
export {
  allocateSeq,
  currentSeqs,
  DEFAULT_SEQ_LEASE_MS,
  ensureSeq,
  highestStoredSeq,
  inFlightKey,
  repairSeq,
  type SeqState,
  seqKey,
  seqStates,
} from "./sequences.js";
export { assertShardLayout, ShardLayoutError } from "./shard-layout.js";
export { groupCollection, roomShard, stableHash, userCollection, userShard } from "./shards.js";
export { createMessageStore, type MessageStore, type MessageStoreOptions, syncMessageIndexes } from "./store-context.js";
export { groupModelOf, highestGroupSeq, storeGroup } from "./store-group.js";
export { assertSameMessage, type Sender, type StoredResult } from "./store-message.js";
export { type StoreSingleOptions, storeSingle } from "./store-single.js";
export { DEFAULT_SYNC_LIMIT, locate, MAX_SYNC_LIMIT, syncConversations, untilFreshGap } from "./sync.js";
export { SYSTEM_NOTIFIER_ID, type SystemMessage, sendSystemMessage } from "./system-message.js";
export { type ConversationView, conversationViews } from "./view.js";
