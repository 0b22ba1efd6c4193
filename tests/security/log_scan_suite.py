#!/usr/bin/env python3
"""Scans the gateway log lines of a whole ctest run for secrets.

ctest writes every test's output to Testing/Temporary/LastTest.log.tmp while it runs; this
script (the ctest `log_scan_suite`, a fixture cleanup that runs after every C++ test) reads
the JSON log lines the gateways wrote ({"ts":...}) and fails when one holds an API key
(tg_...), a Langfuse secret key (sk-lf-...) or an Authorization value (Bearer/Basic ...).

    log_scan_suite.py BUILD/Testing/Temporary/LastTest.log.tmp [more files]
Exit 0: clean; 1: leaks (printed); 77: nothing to scan (skipped).
"""
import re
import sys

PATTERNS = [
    re.compile(r"\btg_[A-Za-z0-9_]{6,}"),
    re.compile(r"\bsk-lf-[A-Za-z0-9_-]{4,}"),
    re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{12,}"),
]


def main(paths):
    scanned = 0
    leaks = []
    for path in paths:
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                for number, line in enumerate(f, 1):
                    if not line.startswith('{"ts":'):
                        continue
                    scanned += 1
                    if any(p.search(line) for p in PATTERNS):
                        # Report where, not the secret itself: it would land in the CI log.
                        shown = line.strip()
                        for p in PATTERNS:
                            shown = p.sub("[LEAKED]", shown)
                        leaks.append(f"{path}:{number}: {shown[:300]}")
        except FileNotFoundError:
            print(f"log_scan_suite: {path} not found")
    if leaks:
        print(f"log_scan_suite: {len(leaks)} gateway log line(s) hold a secret:")
        print("\n".join(leaks))
        return 1
    if scanned == 0:
        print("log_scan_suite: no gateway log lines to scan (run it with the other tests)")
        return 77
    print(f"log_scan_suite: {scanned} gateway log lines, no API key, secret or Authorization value")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
