#!/usr/bin/env bash
# promtool: both scrape configurations, the alert rules, and the rules' unit tests.
source "$(dirname "$0")/lib.sh"
need promtool
cd "$SRC" || exit 1
promtool check config deploy/prometheus/prometheus.yml
promtool check config deploy/prometheus/prometheus-kubernetes.yml
promtool check rules deploy/prometheus/rules/*.yml
promtool test rules tests/deploy/prometheus_rules_test.yml
