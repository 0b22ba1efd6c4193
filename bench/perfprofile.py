"""Where a gateway's CPU goes, by pipeline stage: `perf record` (cpu-clock sampling with
DWARF call graphs, so it works on VMs without hardware counters) on the gateway process during
one load point, then inclusive shares of the stage entry points. Used by bench/run --profile.

The stages are entry points that do not nest in each other, so their shares add up; "other"
is the rest (gRPC transport and its threads, kernel TCP, locks, the allocator outside them).
"""
from __future__ import annotations

import re
import shutil
import subprocess

STAGES = [
    ("receive: parse request", r"GenericDeserialize<.*IngestRequest"),
    ("receive: write response", r"CallOpSendMessage::SendMessage|IngestResponse::_InternalSerialize"),
    ("validate", r"validate::Validator::Validate\b"),
    ("privacy", r"privacy::.*(Apply|Process|Mask)"),
    ("dedupe", r"(MemoryDeduper|RedisDeduper)::\w+"),
    ("queue append", r"(MemoryQueue|RedisQueue|IngestStore)\w*::Append"),
    ("queue read+ack", r"(MemoryQueue|RedisQueue|IngestStore)\w*::(Read|Ack)"),
    ("free request", r"IngestRequest::~IngestRequest"),
    ("translate", r"OtlpBatchEncoder::(Add|Serialize)|ToIngestionEvent|ToTraceAttributesEvent"),
    ("gzip", r"exporter::Gzip"),
    ("http post", r"CurlTransport::(Post|Send)"),
]


def available() -> str:
    """"" when perf can sample here, else why not."""
    if not shutil.which("perf"):
        return "perf is not installed (apt-get install linux-perf)"
    probe = subprocess.run(["perf", "stat", "-e", "cpu-clock", "true"], capture_output=True,
                           text=True)
    if probe.returncode != 0:
        return "perf cannot sample here: " + probe.stderr.strip()[:200]
    return ""


def record(pid: int, seconds: float, out: str) -> subprocess.Popen:
    """Starts sampling `pid` for `seconds`; wait() on the result."""
    return subprocess.Popen(
        ["perf", "record", "-e", "cpu-clock", "-F", "499", "--call-graph", "dwarf,16384",
         "-p", str(pid), "-o", out, "--", "sleep", "%g" % seconds],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def breakdown(data: str) -> dict:
    """{stage: percent of the process's samples} from a perf.data file."""
    rep = subprocess.run(["perf", "report", "-i", data, "--stdio", "--children", "--sort",
                          "symbol", "-g", "none", "--percent-limit", "0.3"],
                         capture_output=True, text=True).stdout
    rows = []
    for line in rep.splitlines():
        m = re.match(r"\s+([\d.]+)%\s+([\d.]+)%\s+\[[.k]\]\s+(.*)$", line)
        if m:
            rows.append((float(m.group(1)), m.group(3).strip()))
    shares = {}
    for stage, pattern in STAGES:
        best = max((pct for pct, sym in rows if re.search(pattern, sym)), default=0.0)
        if best > 0:
            shares[stage] = best
    shares["other (gRPC transport, kernel, locks, idle polling)"] = max(
        0.0, 100.0 - sum(shares.values()))
    return shares


def format_breakdown(name: str, shares: dict, us_per_event) -> str:
    lines = ["profile %s (%% of gateway CPU%s):" % (
        name, "; µs/event at %.1f µs total" % us_per_event if us_per_event else "")]
    for stage, pct in sorted(shares.items(), key=lambda kv: -kv[1]):
        us = " %5.2f µs" % (pct / 100.0 * us_per_event) if us_per_event else ""
        lines.append("  %-52s %5.1f%%%s" % (stage, pct, us))
    return "\n".join(lines)
