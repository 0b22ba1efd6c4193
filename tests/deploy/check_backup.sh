#!/usr/bin/env bash
# deploy/backup/backup.sh and restore.sh against stand-ins for `docker` and `mc` that log their
# arguments: the right commands in the right order, the files written, old backups pruned,
# and restore refusing to run without --yes.
source "$(dirname "$0")/lib.sh"
make_tmp
mkdir -p "$TMP/bin" "$TMP/repo/deploy"
cp -r "$SRC/deploy/backup" "$TMP/repo/deploy/"
printf 'MINIO_ROOT_USER=minio\nMINIO_ROOT_PASSWORD=pw123\n' >"$TMP/repo/.env"
LOG="$TMP/calls.log"

cat >"$TMP/bin/docker" <<'STUB'
#!/usr/bin/env bash
echo "docker $*" >>"$CALLS_LOG"
case "$*" in
  *"pg_dump "*) printf 'PGDMP-fake-dump' ;;
  *"pg_restore --list"*) [ "$(cat)" = "PGDMP-fake-dump" ] || exit 1 ;;
  *"pg_restore -U"*) cat >"$CALLS_LOG.restored" ;;
  *"compose cp clickhouse:"*) mkdir -p "${*: -1}" && echo meta >"${*: -1}/.backup" ;;
esac
STUB
cat >"$TMP/bin/mc" <<'STUB'
#!/usr/bin/env bash
echo "mc $* host=$MC_HOST_tgbackup" >>"$CALLS_LOG"
STUB
chmod +x "$TMP/bin/docker" "$TMP/bin/mc"
export PATH="$TMP/bin:$PATH" CALLS_LOG="$LOG" BACKUP_DIR="$TMP/backups"

fail() { echo "FAIL: $*"; echo "--- calls:"; cat "$LOG" 2>/dev/null; exit 1; }

mkdir -p "$TMP/backups/20000101T000000Z"
touch -d '2000-01-01' "$TMP/backups/20000101T000000Z"
"$TMP/repo/deploy/backup/backup.sh" all >/dev/null
out=$(find "$TMP/backups" -mindepth 1 -maxdepth 1 -type d -name '20*Z' | sort | tail -n 1)
[ "$(cat "$out/langfuse.pgdump")" = "PGDMP-fake-dump" ] || fail "no Postgres dump in $out"
[ -f "$out/clickhouse/.backup" ] || fail "ClickHouse backup not copied out"
[ -d "$out/objects" ] || fail "no objects folder"
[ ! -e "$TMP/backups/20000101T000000Z" ] || fail "backup older than BACKUP_KEEP_DAYS kept"
grep -q "^docker compose exec -T postgres pg_dump -U postgres -d langfuse -Fc$" "$LOG" || fail pg_dump
grep -q "BACKUP DATABASE default TO File('/var/lib/clickhouse/backups/" "$LOG" || fail "clickhouse BACKUP"
grep -q "^mc mirror --quiet --overwrite tgbackup/langfuse $out/objects host=http://minio:pw123@127.0.0.1:9090$" "$LOG" \
  || fail "mc mirror of the bucket"
! grep -q "pw123" <(grep -v '^mc ' "$LOG") || fail "a password reached a docker command line"

: >"$LOG"
if "$TMP/repo/deploy/backup/restore.sh" "$out" 2>/dev/null; then fail "restore ran without --yes"; fi
[ ! -s "$LOG" ] || fail "restore without --yes ran commands"
"$TMP/repo/deploy/backup/restore.sh" --yes "$out" postgres objects >/dev/null
[ "$(cat "$LOG.restored")" = "PGDMP-fake-dump" ] || fail "pg_restore did not get the dump"
order=$(grep -oE "compose (stop|start) langfuse-web|pg_restore -U|mc mirror" "$LOG" | tr '\n' ',')
[ "$order" = "compose stop langfuse-web,pg_restore -U,mc mirror,compose start langfuse-web," ] \
  || fail "restore order: $order"
echo "backup scripts: OK"
