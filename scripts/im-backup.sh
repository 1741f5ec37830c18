#!/usr/bin/env bash
# Backs up or restores an IM platform's data: MongoDB (the truth) and the object storage (media bytes), in the
# order docs/kubernetes.md ("Backups") explains. Redis is not backed up: every Redis key of the platform is
# rebuilt or safely lost (sessions, queues, caches, counters the apps raise from MongoDB).
#
#   scripts/im-backup.sh backup  DIR   # DIR/mongo.snapshot, DIR/objects/ (DIR must not exist)
#   scripts/im-backup.sh restore DIR   # into an EMPTY database and bucket, with the platform stopped
#
# Settings: the apps' own variable names, so a Job can take them from the ImCluster's Secrets:
#   MONGO_URL (with the database name), S3_ENDPOINT, S3_BUCKET, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY,
#   S3_REGION (default us-east-1). Without S3_ENDPOINT the object storage is skipped (no upload app).
# Tools: mongodump/mongorestore (MongoDB Database Tools) when on PATH, else mongodb-snapshot-write/-read
# (npm @apostrophecms/mongodb-snapshot, a dev dependency: fine for the local stack and small databases, it
# reads a collection at a time into memory); rclone for the bucket (Debian's rclone package).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PATH="$ROOT/node_modules/.bin:$PATH"

usage() { echo "usage: $0 backup|restore DIR" >&2; exit 64; }
[ $# -eq 2 ] || usage
action="$1"
dir="$2"
: "${MONGO_URL:?MONGO_URL is required}"

# rclone remote "store" from the environment (no config file).
export RCLONE_CONFIG_STORE_TYPE=s3 RCLONE_CONFIG_STORE_PROVIDER=Other RCLONE_CONFIG_STORE_FORCE_PATH_STYLE=true
export RCLONE_CONFIG_STORE_ENDPOINT="${S3_ENDPOINT:-}" RCLONE_CONFIG_STORE_REGION="${S3_REGION:-us-east-1}"
export RCLONE_CONFIG_STORE_ACCESS_KEY_ID="${S3_ACCESS_KEY_ID:-}" RCLONE_CONFIG_STORE_SECRET_ACCESS_KEY="${S3_SECRET_ACCESS_KEY:-}"

case "$action" in
  backup)
    [ ! -e "$dir" ] || { echo "$dir exists: back up into a new directory" >&2; exit 1; }
    mkdir -p "$dir"
    # 1. MongoDB first: every object it names exists in the bucket copy taken after it (uploads only add
    #    objects; the scheduler deletes only expired media and orphans a day old).
    if command -v mongodump >/dev/null 2>&1; then
      # The database of MONGO_URL. Not a point in time while the platform writes (--oplog needs a dump of the whole
      # replica set): hibernate the ImCluster first, or use continuous backups (docs/kubernetes.md).
      mongodump --uri="$MONGO_URL" --archive="$dir/mongo.archive" --gzip
    else
      mongodb-snapshot-write --from="$MONGO_URL" --to="$dir/mongo.snapshot" >/dev/null
    fi
    # 2. Then the objects.
    if [ -n "${S3_ENDPOINT:-}" ]; then
      : "${S3_BUCKET:?S3_BUCKET is required with S3_ENDPOINT}"
      rclone copy --quiet "store:$S3_BUCKET" "$dir/objects"
    fi
    date -u +%Y-%m-%dT%H:%M:%SZ >"$dir/taken-at"
    ;;
  restore)
    [ -d "$dir" ] || { echo "$dir: no such backup" >&2; exit 1; }
    # The objects first: by the time the apps read a record, its bytes are there.
    if [ -n "${S3_ENDPOINT:-}" ] && [ -d "$dir/objects" ]; then
      : "${S3_BUCKET:?S3_BUCKET is required with S3_ENDPOINT}"
      rclone mkdir "store:$S3_BUCKET"
      rclone copy --quiet "$dir/objects" "store:$S3_BUCKET"
    fi
    if [ -f "$dir/mongo.archive" ]; then
      mongorestore --uri="$MONGO_URL" --archive="$dir/mongo.archive" --gzip --drop
    else
      mongodb-snapshot-read --from="$dir/mongo.snapshot" --to="$MONGO_URL" --erase
    fi
    ;;
  *) usage ;;
esac
