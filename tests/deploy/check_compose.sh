#!/usr/bin/env bash
# docker-compose.yml is valid for Debian's docker-compose (offline `config -q`): with an .env
# made by deploy/gen-env.sh, with the monitoring profile, and it refuses .env.example as is
# (its secrets are empty on purpose).
source "$(dirname "$0")/lib.sh"
need docker-compose openssl
make_tmp
make_env
cd "$SRC" || exit 1

docker-compose -f docker-compose.yml --env-file "$TMP/.env" config -q
docker-compose -f docker-compose.yml --env-file "$TMP/.env" --profile monitoring config -q
services=$(docker-compose -f docker-compose.yml --env-file "$TMP/.env" --profile monitoring \
  config --services | sort | tr '\n' ' ')
for s in tracegate tracegate-redis nginx langfuse-web langfuse-worker postgres clickhouse minio \
         langfuse-redis prometheus grafana redis-exporter; do
  case " $services " in *" $s "*) ;; *) echo "FAIL: service $s missing (have: $services)"; exit 1;; esac
done

# Unfilled secrets stop compose with the variable's name.
if out=$(docker-compose -f docker-compose.yml --env-file .env.example config -q 2>&1); then
  echo "FAIL: docker-compose accepted .env.example with empty secrets"; exit 1
fi
grep -q "set .* in .env" <<<"$out" || { echo "FAIL: unexpected error: $out"; exit 1; }

# gen-env.sh keeps values already set (a second run changes nothing).
cp "$TMP/.env" "$TMP/.env.first"
"$SRC/deploy/gen-env.sh" "$TMP/.env" >/dev/null
cmp -s "$TMP/.env" "$TMP/.env.first" || { echo "FAIL: gen-env.sh changed values on a second run"; exit 1; }
echo "compose: OK ($services)"
