#!/usr/bin/env bash
# Writes a self-signed TLS pair for nginx (tls.crt, tls.key) for a trial or a test.
#   deploy/nginx/make-self-signed-cert.sh [OUT_DIR] [HOST_NAME]
# Defaults: deploy/nginx/certs, localhost. Use a real certificate in production.
set -euo pipefail
out="${1:-$(dirname "$0")/certs}"
host="${2:-localhost}"
mkdir -p "$out"
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -sha256 \
  -subj "/CN=$host" -addext "subjectAltName=DNS:$host,IP:127.0.0.1" \
  -keyout "$out/tls.key" -out "$out/tls.crt" 2>/dev/null
chmod 600 "$out/tls.key"
echo "make-self-signed-cert: wrote $out/tls.crt and $out/tls.key (CN=$host, 30 days)"
