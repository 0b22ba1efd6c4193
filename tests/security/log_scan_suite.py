#!/usr/bin/env python3
"""Scans the gateway log lines of a whole ctest run for secrets.

ctest writes every test's output to Testing/Temporary/LastTest.log.tmp while it runs; this
script (the ctest `log_scan_suite`, a fixture cleanup that runs after every C++ test) reads
the JSON log lines the gateways wrote ({"ts":...}) and fails when one holds an API key
(tg_...), a Langfuse secret key (sk-lf-...) or an Authorization value (Bearer/Basic ...).

The gateways that the pytest suites start (integration, SIGHUP, clients) write to pipes, not
to ctest's log: their harnesses copy each gateway's log into TRACEGATE_GATEWAY_LOG_DIR, which
ctest points at BUILD/Testing/gateway-logs; a folder given here is scanned file by file.

    log_scan_suite.py BUILD/Testing/Temporary/LastTest.log.tmp BUILD/Testing/gateway-logs
Exit 0: clean; 1: leaks (printed); 77: nothing to scan (skipped).
"""
import os
import re
import sys

PATTERNS = [
    re.compile(r"\btg_[A-Za-z0-9_]{6,}"),
    re.compile(r"\bsk-lf-[A-Za-z0-9_-]{4,}"),
    re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{12,}"),
]


def expand(paths):
    for path in paths:
        if os.path.isdir(path):
            for name in sorted(os.listdir(path)):
                yield os.path.join(path, name)
        else:
            yield path


def main(paths):
    scanned = 0
    leaks = []
    files = 0
    for path in expand(paths):
        files += 1
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
    print(f"log_scan_suite: {scanned} gateway log lines in {files} files, no API key, secret "
          "or Authorization value")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
