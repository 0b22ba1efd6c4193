"""Writes kubeconform-ready Kubernetes JSON schemas from the kubernetes-validate package.

  python3 k8s_schemas.py 1.30.0 OUT_DIR   ->  OUT_DIR/v1.30.0/<kind>-<group>-<version>.json

kubernetes-validate ships strict schemas whose $ref point at "/api/_definitions.json" under
an https $id; kubeconform resolves references against the file instead, so the $id is dropped
and the references are made relative.
"""
import json
import os
import sys

import kubernetes_validate


def main() -> None:
    version, out = sys.argv[1], sys.argv[2]
    base = os.path.join(os.path.dirname(kubernetes_validate.__file__), "kubernetes-json-schema")
    src = os.path.join(base, f"v{version}-local-strict")
    if not os.path.isdir(src):
        sys.exit(f"no schemas for Kubernetes {version} in {base}")
    dst = os.path.join(out, f"v{version}")
    os.makedirs(dst, exist_ok=True)
    for name in os.listdir(src):
        if not name.endswith(".json"):
            continue
        with open(os.path.join(src, name)) as f:
            schema = json.load(f)
        schema.pop("$id", None)
        text = json.dumps(schema).replace('"/api/_definitions.json#', '"_definitions.json#')
        with open(os.path.join(dst, name), "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
