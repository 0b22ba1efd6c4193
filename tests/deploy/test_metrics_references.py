"""Every metric the alert rules, the Grafana dashboard and the operator docs use is one the
gateway exports (gateway/observability), so a renamed metric cannot silently blind an alert."""
import glob
import json
import re

import yaml

import deploy_files as d

METRIC = re.compile(r"\btracegate_[a-z0-9_]+")


def exported():
    names = set()
    for f in glob.glob(d.path("gateway", "**", "*.cc"), recursive=True):
        with open(f, encoding="utf-8") as fh:
            names |= set(re.findall(r'\.Name\("(tracegate_[a-z0-9_]+)"\)', fh.read()))
    assert "tracegate_events_total" in names, "metric registrations not found"
    # Histograms also export _bucket, _sum and _count.
    return names | {n + s for n in names for s in ("_bucket", "_sum", "_count")}


def used_in(text):
    return set(METRIC.findall(text))


def test_alert_rules_use_exported_metrics():
    rules = yaml.safe_load(d.read("deploy", "prometheus", "rules", "tracegate.rules.yml"))
    exprs = " ".join(r["expr"] for g in rules["groups"] for r in g["rules"])
    used = used_in(exprs)
    assert used and used <= exported(), sorted(used - exported())


def test_dashboard_is_valid_and_uses_exported_metrics():
    dash = json.loads(d.read("deploy", "prometheus", "grafana", "dashboards", "tracegate.json"))
    assert dash["uid"] and dash["title"]
    ids = [p["id"] for p in dash["panels"]]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    exprs = []
    for p in dash["panels"]:
        assert p["targets"], f"panel {p['title']} has no query"
        exprs += [t["expr"] for t in p["targets"]]
    used = used_in(" ".join(exprs))
    assert used <= exported(), sorted(used - exported())
    for needed in ("tracegate_queue_events", "tracegate_export_request_duration_seconds_bucket",
                   "tracegate_events_failed_total"):
        assert needed in used


def test_docs_name_exported_metrics():
    used = used_in(d.read("docs", "operations.md"))
    assert used <= exported(), sorted(used - exported())


def test_grafana_provisioning_matches_compose_mounts():
    mounts = " ".join(d.compose()["services"]["grafana"]["volumes"])
    prov = yaml.safe_load(d.read("deploy", "prometheus", "grafana", "provisioning", "dashboards",
                                 "tracegate.yml"))
    path = prov["providers"][0]["options"]["path"]
    assert f"./deploy/prometheus/grafana/dashboards:{path}" in mounts
