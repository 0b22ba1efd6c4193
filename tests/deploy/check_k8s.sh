#!/usr/bin/env bash
# Schema check of deploy/k8s with kubeconform (strict: unknown fields are errors) against the
# Kubernetes JSON schemas shipped in the kubernetes-validate Python package, converted for
# kubeconform: no network needed. Also: kustomization.yaml lists every manifest.
source "$(dirname "$0")/lib.sh"
need kubeconform
K8S_VERSION=1.30.0
make_tmp
cd "$SRC" || exit 1
"$PYTHON3" tests/deploy/k8s_schemas.py "$K8S_VERSION" "$TMP/schemas"

manifests=()
for f in deploy/k8s/*.yaml; do
  [ "$f" = deploy/k8s/kustomization.yaml ] || manifests+=("$f")
done
kubeconform -strict -summary -kubernetes-version "$K8S_VERSION" \
  -schema-location "$TMP/schemas/{{ .NormalizedKubernetesVersion }}/{{ .ResourceKind }}{{ .KindSuffix }}.json" \
  "${manifests[@]}"

# The check bites: a Deployment with an unknown field must fail.
sed 's/^\(\s*\)imagePullPolicy: IfNotPresent/\1imagePullPolicy: IfNotPresent\n\1imagePullPolcy: Always/' \
  deploy/k8s/deployment.yaml >"$TMP/bad.yaml"
if kubeconform -strict -kubernetes-version "$K8S_VERSION" \
     -schema-location "$TMP/schemas/{{ .NormalizedKubernetesVersion }}/{{ .ResourceKind }}{{ .KindSuffix }}.json" \
     "$TMP/bad.yaml" >/dev/null; then
  echo "FAIL: kubeconform accepted an unknown field"; exit 1
fi

"$PYTHON3" - "${manifests[@]}" <<'PY'
import sys, yaml
listed = yaml.safe_load(open("deploy/k8s/kustomization.yaml"))["resources"]
files = sorted(p.split("/")[-1] for p in sys.argv[1:])
if sorted(listed) != files:
    sys.exit(f"FAIL: kustomization.yaml resources {sorted(listed)} != manifests {files}")
PY
echo "k8s: OK"
