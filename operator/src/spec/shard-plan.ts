/** Why planShardChange decided as it did; the operator uses it as the condition reason. */
export type ShardPlanReason =
  | "ShardLayoutInitial"
  | "ShardLayoutUnchanged"
  | "ShardMigrationAcknowledged"
  | "ShardDecreaseRefused"
  | "ShardMigrationRequired";

export interface ShardPlan {
  /** Whether the desired count may be applied now. */
  allowed: boolean;
  reason: ShardPlanReason;
  message: string;
  /** MESSAGE_SHARDS the apps should run with after this decision. */
  messageShards: number;
}

/** An acknowledged migration from spec.messageShardsMigration. */
export interface ShardMigration {
  from: number;
  to: number;
}

const procedure =
  "stop the gateways, copy every document into the collection its owner maps to under the new count, update im_meta.messageShards.count " +
  "(docs/messaging.md, 'Changing the shard count'), then set spec.messageShardsMigration";

/**
 * Decides whether spec.messageShards may replace the count in force (status.shardLayout). The apps refuse
 * to start with a count other than the one recorded in im_meta, so a change without a data migration
 * would stop every pod: decreases are refused, increases wait for an acknowledged migration.
 */
export function planShardChange(current: number | undefined, desired: number, migration?: ShardMigration): ShardPlan {
  if (current === undefined) {
    return { allowed: true, reason: "ShardLayoutInitial", message: `first layout: ${desired} message shards`, messageShards: desired };
  }
  if (current === desired) {
    return { allowed: true, reason: "ShardLayoutUnchanged", message: `${current} message shards`, messageShards: current };
  }
  if (desired < current) {
    return {
      allowed: false,
      reason: "ShardDecreaseRefused",
      message: `messageShards ${current} → ${desired} refused: decreasing the shard count is not supported; keeping ${current}`,
      messageShards: current,
    };
  }
  if (migration?.from === current && migration.to === desired) {
    return {
      allowed: true,
      reason: "ShardMigrationAcknowledged",
      message: `messageShards ${current} → ${desired}: migration acknowledged`,
      messageShards: desired,
    };
  }
  const mismatch = migration ? ` (messageShardsMigration ${migration.from} → ${migration.to} does not match ${current} → ${desired})` : "";
  return {
    allowed: false,
    reason: "ShardMigrationRequired",
    message: `messageShards ${current} → ${desired} needs a data migration${mismatch}: ${procedure} {from: ${current}, to: ${desired}}; keeping ${current}`,
    messageShards: current,
  };
}
