#!/usr/bin/env bash
# deploy/init-langfuse.sql on a real, throw-away PostgreSQL (Debian's, on a Unix socket in a
# temporary folder, no TCP): run the way the postgres image runs it (psql as the superuser,
# LANGFUSE_DB_PASSWORD in the environment), it creates the login role "langfuse" with that
# password and the database "langfuse" owned by it; without the variable it fails.
# Then deploy/backup's pg_dump/pg_restore commands round-trip a table of that database.
source "$(dirname "$0")/lib.sh"
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$PGBIN" ] || { echo "FAIL: PostgreSQL is not installed; run: scripts/install-deps.sh deploy-checks" >&2; exit 1; }
PATH="$PGBIN:$PATH"
need initdb pg_ctl psql pg_dump pg_restore
make_tmp
chmod 755 "$TMP"
mkdir -m 700 "$TMP/data" "$TMP/sock"

as_pg=()
if [ "$(id -u)" -eq 0 ]; then   # the server refuses to run as root
  chown postgres "$TMP/data" "$TMP/sock"
  as_pg=(runuser -u postgres --)
fi
stop() { "${as_pg[@]}" pg_ctl -D "$TMP/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$TMP"; }
trap stop EXIT

"${as_pg[@]}" initdb -D "$TMP/data" -U postgres -A trust >/dev/null
"${as_pg[@]}" pg_ctl -D "$TMP/data" -w -l "$TMP/sock/server.log" \
  -o "-c listen_addresses='' -k $TMP/sock" start >/dev/null
psql_as() { "${as_pg[@]}" env ${LANGFUSE_DB_PASSWORD+LANGFUSE_DB_PASSWORD="$LANGFUSE_DB_PASSWORD"} \
  psql -X -q -h "$TMP/sock" -v ON_ERROR_STOP=1 "$@"; }
fail() { echo "FAIL: $*"; exit 1; }

# Without the password (unset or empty) the script stops before creating anything.
unset LANGFUSE_DB_PASSWORD
if psql_as -U postgres -d postgres -f "$SRC/deploy/init-langfuse.sql" 2>/dev/null; then
  fail "init-langfuse.sql ran without LANGFUSE_DB_PASSWORD"
fi
if LANGFUSE_DB_PASSWORD='' psql_as -U postgres -d postgres -f "$SRC/deploy/init-langfuse.sql" 2>/dev/null; then
  fail "init-langfuse.sql ran with an empty LANGFUSE_DB_PASSWORD"
fi
[ "$(psql_as -U postgres -d postgres -tAc "SELECT count(*) FROM pg_roles WHERE rolname='langfuse'")" = 0 ] \
  || fail "role created although the password was missing"

LANGFUSE_DB_PASSWORD=s3cret-Test psql_as -U postgres -d postgres -f "$SRC/deploy/init-langfuse.sql"
q() { psql_as -U postgres -d "$1" -tAc "$2"; }
[ "$(q postgres "SELECT rolcanlogin FROM pg_roles WHERE rolname='langfuse'")" = t ] || fail "no login role"
[ "$(q postgres "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname='langfuse'")" = langfuse ] \
  || fail "database langfuse not owned by langfuse"
[ "$(q langfuse "SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname='public'")" = langfuse ] \
  || fail "schema public not owned by langfuse"
# The password is the one from the environment (SCRAM verifier, never the literal).
verifier=$(q postgres "SELECT rolpassword FROM pg_authid WHERE rolname='langfuse'")
case "$verifier" in SCRAM-SHA-256*) ;; *) fail "password not stored as SCRAM: $verifier" ;; esac
grep -q "s3cret-Test" "$SRC/deploy/init-langfuse.sql" && fail "password literal in the script"

# Langfuse's user can create its tables; backup.sh's dump restores with restore.sh's flags.
psql_as -U langfuse -d langfuse -c "CREATE TABLE t (id int); INSERT INTO t VALUES (1), (2);"
"${as_pg[@]}" pg_dump -h "$TMP/sock" -U postgres -d langfuse -Fc >"$TMP/sock/dump"
pg_restore --list "$TMP/sock/dump" >/dev/null
psql_as -U langfuse -d langfuse -c "INSERT INTO t VALUES (3);"
"${as_pg[@]}" pg_restore -h "$TMP/sock" -U postgres -d langfuse --clean --if-exists --no-owner \
  --role=langfuse --single-transaction <"$TMP/sock/dump"
[ "$(q langfuse "SELECT count(*) FROM t")" = 2 ] || fail "restore did not bring back the dumped rows"
[ "$(q langfuse "SELECT tableowner FROM pg_tables WHERE tablename='t'")" = langfuse ] \
  || fail "restored table not owned by langfuse"
echo "init-langfuse.sql and pg_dump/pg_restore: OK"
