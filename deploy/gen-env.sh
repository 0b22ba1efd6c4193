#!/usr/bin/env bash
# Fills every empty secret in a docker-compose env file with a random value; values already
# set are kept, so running it again changes nothing.
#   cp .env.example .env && deploy/gen-env.sh .env
# Prints the gateway API key it made (services send it as "authorization: Bearer <key>").
set -euo pipefail

file="${1:-.env}"
[ -f "$file" ] || { echo "gen-env: $file not found (cp .env.example $file first)" >&2; exit 2; }
command -v openssl >/dev/null || { echo "gen-env: needs openssl" >&2; exit 2; }

value_of() {  # the value of NAME in $file (empty when absent)
  sed -n "s/^$1=//p" "$file" | tail -n 1
}

set_value() {  # set NAME=VALUE in $file (VALUE: hex and [a-z_-] only, safe for sed)
  if grep -q "^$1=" "$file"; then
    sed -i "s|^$1=.*|$1=$2|" "$file"
  else
    printf '%s=%s\n' "$1" "$2" >>"$file"
  fi
}

fill() {  # fill NAME VALUE: only when NAME is empty
  if [ -z "$(value_of "$1")" ]; then set_value "$1" "$2"; echo "gen-env: set $1"; fi
}

hex() { openssl rand -hex "$1"; }

for name in TRACEGATE_REDIS_PASSWORD TRACEGATE_HMAC_SECRET LANGFUSE_INIT_USER_PASSWORD LANGFUSE_NEXTAUTH_SECRET SALT \
            POSTGRES_PASSWORD LANGFUSE_DB_PASSWORD CLICKHOUSE_PASSWORD MINIO_ROOT_PASSWORD \
            LANGFUSE_REDIS_PASSWORD; do
  fill "$name" "$(hex 24)"
done
fill ENCRYPTION_KEY "$(hex 32)"
fill LANGFUSE_PUBLIC_KEY "pk-lf-$(hex 16)"
fill LANGFUSE_SECRET_KEY "sk-lf-$(hex 16)"

if [ -z "$(value_of TRACEGATE_CLIENT_API_KEY)" ]; then
  key="tg_$(hex 24)"
  set_value TRACEGATE_CLIENT_API_KEY "$key"
  set_value TRACEGATE_API_KEY_SHA256 "$(printf '%s' "$key" | sha256sum | cut -d' ' -f1)"
  echo "gen-env: new gateway API key for services: $key (also in $file as TRACEGATE_CLIENT_API_KEY)"
elif [ -z "$(value_of TRACEGATE_API_KEY_SHA256)" ]; then
  set_value TRACEGATE_API_KEY_SHA256 \
    "$(printf '%s' "$(value_of TRACEGATE_CLIENT_API_KEY)" | sha256sum | cut -d' ' -f1)"
  echo "gen-env: set TRACEGATE_API_KEY_SHA256 from TRACEGATE_CLIENT_API_KEY"
fi
if [ -z "$(value_of TRACEGATE_ADMIN_KEY)" ]; then
  set_value TRACEGATE_ADMIN_KEY "tga_$(hex 24)"
  set_value TRACEGATE_ADMIN_KEY_SHA256 "$(printf '%s' "$(value_of TRACEGATE_ADMIN_KEY)" | sha256sum | cut -d' ' -f1)"
  echo "gen-env: set TRACEGATE_ADMIN_KEY and TRACEGATE_ADMIN_KEY_SHA256 (admin endpoints)"
elif [ -z "$(value_of TRACEGATE_ADMIN_KEY_SHA256)" ]; then
  set_value TRACEGATE_ADMIN_KEY_SHA256 \
    "$(printf '%s' "$(value_of TRACEGATE_ADMIN_KEY)" | sha256sum | cut -d' ' -f1)"
  echo "gen-env: set TRACEGATE_ADMIN_KEY_SHA256 from TRACEGATE_ADMIN_KEY"
fi
chmod 600 "$file"
