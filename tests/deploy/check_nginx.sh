#!/usr/bin/env bash
# `nginx -t` on deploy/nginx laid out as the compose file mounts it (nginx.conf, tracegate.d/,
# certs/), with a certificate made by deploy/nginx/make-self-signed-cert.sh. Then a broken
# copy must fail, so the check is known to bite.
source "$(dirname "$0")/lib.sh"
need nginx openssl
make_tmp
cp "$SRC/deploy/nginx/nginx.conf" "$TMP/"
cp -r "$SRC/deploy/nginx/tracegate.d" "$TMP/"
"$SRC/deploy/nginx/make-self-signed-cert.sh" "$TMP/certs" test.local >/dev/null
openssl x509 -in "$TMP/certs/tls.crt" -noout -checkend 86400 >/dev/null

nginx -t -q -c "$TMP/nginx.conf"

# Every compose mount of nginx points at a file or folder that exists.
grep -q '\./deploy/nginx/nginx.conf:/etc/nginx/nginx.conf' "$SRC/docker-compose.yml"
grep -q '\./deploy/nginx/tracegate.d:/etc/nginx/tracegate.d' "$SRC/docker-compose.yml"

# The gRPC and Langfuse locations are there, and the allowlist ends with deny all.
grep -q 'grpc_pass grpc://\$tracegate_grpc' "$TMP/tracegate.d/tracegate.conf"
grep -q 'include tracegate.d/langfuse-allowlist.inc' "$TMP/tracegate.d/tracegate.conf"
[ "$(grep -v '^#' "$TMP/tracegate.d/langfuse-allowlist.inc" | grep . | tail -n 1)" = "deny all;" ]

rm "$TMP/certs/tls.key"
if nginx -t -q -c "$TMP/nginx.conf" 2>/dev/null; then
  echo "FAIL: nginx -t passed without the TLS key"; exit 1
fi
echo "nginx: OK"
