# Shared by backup.sh and restore.sh (sourced). Runs from the repository root, where
# docker-compose.yml and .env are.
# shellcheck shell=bash
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

# `docker compose` (v2) unless COMPOSE says otherwise, e.g. COMPOSE="docker-compose".
read -r -a COMPOSE <<<"${COMPOSE:-docker compose}"
compose() { "${COMPOSE[@]}" "$@"; }

# Values from .env (object storage credentials) unless already in the environment.
env_value() {
  local name="$1"
  if [ -n "${!name:-}" ]; then printf '%s' "${!name}"; return; fi
  [ -f .env ] && sed -n "s/^$name=//p" .env | tail -n 1
}

# Object storage: MinIO's S3 API published on the host by docker-compose.yml, or any S3.
S3_ENDPOINT="${S3_ENDPOINT:-http://127.0.0.1:9090}"
S3_BUCKET="${S3_BUCKET:-langfuse}"

# The S3 client: MinIO's `mc` or the AWS CLI, whichever is installed (S3_TOOL=mc|aws forces one).
s3_tool() {
  if [ -n "${S3_TOOL:-}" ]; then echo "$S3_TOOL"; return; fi
  if command -v mc >/dev/null 2>&1; then echo mc; return; fi
  if command -v aws >/dev/null 2>&1; then echo aws; return; fi
  echo "backup: object storage needs MinIO's mc or the AWS CLI on this host" >&2
  return 1
}

# s3_sync FROM TO: one of them is "s3" (the bucket), the other a local folder.
s3_sync() {
  local from="$1" to="$2" tool key secret
  tool=$(s3_tool)
  key=$(env_value MINIO_ROOT_USER)
  secret=$(env_value MINIO_ROOT_PASSWORD)
  case "$tool" in
    mc)
      export MC_HOST_tgbackup="${S3_ENDPOINT%%://*}://${key}:${secret}@${S3_ENDPOINT#*://}"
      [ "$from" = s3 ] && from="tgbackup/$S3_BUCKET"
      [ "$to" = s3 ] && to="tgbackup/$S3_BUCKET"
      mc mirror --quiet --overwrite "$from" "$to"
      ;;
    aws)
      [ "$from" = s3 ] && from="s3://$S3_BUCKET"
      [ "$to" = s3 ] && to="s3://$S3_BUCKET"
      AWS_ACCESS_KEY_ID="$key" AWS_SECRET_ACCESS_KEY="$secret" AWS_DEFAULT_REGION=us-east-1 \
        aws --endpoint-url "$S3_ENDPOINT" s3 sync --only-show-errors "$from" "$to"
      ;;
    *) echo "backup: unknown S3_TOOL $tool" >&2; return 1 ;;
  esac
}

# clickhouse_query SQL: runs as the compose ClickHouse user (credentials stay in the container).
clickhouse_query() {
  # shellcheck disable=SC2016  # expanded inside the container
  compose exec -T clickhouse sh -c \
    'clickhouse-client --user "$CLICKHOUSE_USER" --password "$CLICKHOUSE_PASSWORD" --query "$1"' \
    sh "$1"
}
# shellcheck disable=SC2034  # used by backup.sh and restore.sh
CH_BACKUP_DIR=/var/lib/clickhouse/backups
