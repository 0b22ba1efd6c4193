#!/usr/bin/env bash
# The gateway configurations shipped in deploy/ load and validate with the real binary
# (`tracegate --check`), with the variables compose and Kubernetes would give them:
#   deploy/tracegate.yaml (docker-compose) and the tracegate.yaml of deploy/k8s/configmap.yaml.
source "$(dirname "$0")/lib.sh"
bin="${1:?usage: check_gateway_config.sh path/to/tracegate}"
need openssl
make_tmp
make_env
cd "$SRC" || exit 1
set -a
# shellcheck disable=SC1091
source "$TMP/.env"
set +a
export LANGFUSE_BASE_URL="http://langfuse-web:3000${LANGFUSE_BASE_PATH:-}"

"$bin" --check --config=deploy/tracegate.yaml

"$PYTHON3" -c '
import sys, yaml
cm = yaml.safe_load(open("deploy/k8s/configmap.yaml"))
open(sys.argv[1], "w").write(cm["data"]["tracegate.yaml"])' "$TMP/k8s-tracegate.yaml"
"$bin" --check --config="$TMP/k8s-tracegate.yaml"

# The check bites: a digest that is not 64 hex characters must be refused.
if TRACEGATE_API_KEY_SHA256=not-a-digest "$bin" --check --config=deploy/tracegate.yaml 2>/dev/null; then
  echo "FAIL: tracegate --check accepted a bad api key digest"; exit 1
fi
echo "gateway configs: OK"
