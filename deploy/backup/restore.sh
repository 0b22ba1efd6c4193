#!/usr/bin/env bash
# Restores a folder written by backup.sh into the docker-compose deployment.
#   deploy/backup/restore.sh --yes BACKUP_FOLDER [all|postgres|clickhouse|objects]...
# It overwrites Langfuse's data, so it asks for --yes. Langfuse (web, worker) is stopped
# while it runs and started again at the end. ClickHouse restores into an empty database:
# restore onto fresh volumes (docs/operations.md, "Restore").
source "$(dirname "$0")/common.sh"

if [ "${1:-}" != "--yes" ]; then
  echo "restore: overwrites Langfuse's data; run again with --yes as first argument" >&2
  exit 2
fi
shift
from="${1:?usage: restore.sh --yes BACKUP_FOLDER [parts...]}"
shift
[ -d "$from" ] || { echo "restore: $from is not a folder" >&2; exit 2; }
parts=("$@")
[ ${#parts[@]} -gt 0 ] || parts=(all)
[ "${parts[*]}" = all ] && parts=(postgres clickhouse objects)

compose stop langfuse-web langfuse-worker
for part in "${parts[@]}"; do
  case "$part" in
    postgres)
      compose exec -T postgres pg_restore -U postgres -d langfuse --clean --if-exists \
        --no-owner --role=langfuse --single-transaction <"$from/langfuse.pgdump"
      ;;
    clickhouse)
      name="restore-$(date -u +%Y%m%dT%H%M%SZ)"
      compose cp "$from/clickhouse" "clickhouse:$CH_BACKUP_DIR/$name"
      clickhouse_query "RESTORE DATABASE default FROM File('$CH_BACKUP_DIR/$name/')" >/dev/null
      compose exec -T clickhouse rm -rf "$CH_BACKUP_DIR/$name"
      ;;
    objects)
      s3_sync "$from/objects" s3
      ;;
    *) echo "restore: unknown part \"$part\"" >&2; exit 2 ;;
  esac
  echo "restore: $part <- $from"
done
compose start langfuse-web langfuse-worker
echo "restore: done"
