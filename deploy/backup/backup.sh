#!/usr/bin/env bash
# Backs up Langfuse's state from the docker-compose deployment into one dated folder:
#   langfuse.pgdump    Postgres database "langfuse" (pg_dump custom format: users, projects,
#                      API keys, prompts, settings)
#   clickhouse/        ClickHouse database "default" (traces, observations, scores), via BACKUP
#   objects/           the "langfuse" bucket (raw events, media), via the S3 API
# Tracegate's own Redis holds only undelivered events and dedupe keys (AOF on its volume); it
# is not part of the backup.
#
#   deploy/backup/backup.sh [all|postgres|clickhouse|objects]...
# BACKUP_DIR (default ./backups) receives <UTC timestamp>/; folders older than
# BACKUP_KEEP_DAYS (default 14) are removed after a successful run. Cron: crontab.example.
source "$(dirname "$0")/common.sh"

BACKUP_ROOT="${BACKUP_DIR:-./backups}"
KEEP_DAYS="${BACKUP_KEEP_DAYS:-14}"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
out="$BACKUP_ROOT/$stamp"
parts=("$@")
[ ${#parts[@]} -gt 0 ] || parts=(all)
[ "${parts[*]}" = all ] && parts=(postgres clickhouse objects)
mkdir -p "$out"
chmod 700 "$out"

for part in "${parts[@]}"; do
  case "$part" in
    postgres)
      compose exec -T postgres pg_dump -U postgres -d langfuse -Fc >"$out/langfuse.pgdump"
      # A dump pg_restore cannot list is no backup.
      compose exec -T postgres pg_restore --list <"$out/langfuse.pgdump" >/dev/null
      ;;
    clickhouse)
      clickhouse_query "BACKUP DATABASE default TO File('$CH_BACKUP_DIR/$stamp/')" >/dev/null
      compose cp "clickhouse:$CH_BACKUP_DIR/$stamp" "$out/clickhouse"
      compose exec -T clickhouse rm -rf "$CH_BACKUP_DIR/$stamp"
      ;;
    objects)
      mkdir -p "$out/objects"
      s3_sync s3 "$out/objects"
      ;;
    *) echo "backup: unknown part \"$part\" (all, postgres, clickhouse, objects)" >&2; exit 2 ;;
  esac
  echo "backup: $part -> $out"
done

find "$BACKUP_ROOT" -mindepth 1 -maxdepth 1 -type d -name '20*Z' -mtime +"$KEEP_DAYS" \
  -exec rm -rf {} +
echo "backup: done: $out"
