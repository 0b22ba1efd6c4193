"""Hot reload of the real binary by SIGHUP: a removed key is refused right after the reload,
an invalid file is refused with its reason in the log while the running config keeps
serving, SIGTERM still drains; and the process's log never holds a key or secret.

Uses tests/integration/gateway_harness.py (the real tracegate and tracegate-cli).
"""
import os
import re
import signal
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

import gateway_harness as h  # noqa: E402


def config_path(gw):
    return next(a.split("=", 1)[1] for a in gw.proc.args if a.startswith("--config="))


def reload_with(gw, text, expect_msg):
    before = len(gw.log_lines)
    with open(config_path(gw), "w") as f:
        f.write(text)
    gw.proc.send_signal(signal.SIGHUP)
    return h.wait_for(lambda: any(expect_msg in line for line in gw.log_lines[before:]))


def test_sighup_revokes_a_key_and_keeps_the_old_config_when_the_new_one_is_invalid():
    text = h.make_config(9)  # Langfuse unreachable: events wait in the queue
    gw = h.start_gateway(text)
    try:
        code, out, err = h.send_events(gw, [{"eventId": "s1", "trace": {"id": "t1", "name": "n"}}])
        assert code == 0, err
        assert h.results(out)["s1"][0] == "ACCEPTED"

        revoked = text.replace(h.sha256(h.API_KEY), h.sha256("tg_replacement_key_000"))
        assert reload_with(gw, revoked, '"msg":"config reloaded"'), gw.logs()
        assert any('api_keys: \\"alpha-key\\" changed' in line for line in gw.log_lines), gw.logs()
        code, out, err = h.send_events(gw, [{"eventId": "s2", "trace": {"id": "t2", "name": "n"}}])
        assert code != 0 and "unknown API key" in err, (code, out, err)
        code, out, err = h.send_events(gw, [{"eventId": "s3", "trace": {"id": "t3", "name": "n"}}],
                                       key=h.STAR_KEY, workspace="gamma")
        assert code == 0 and h.results(out)["s3"][0] == "ACCEPTED", (code, out, err)

        broken = revoked.replace("linger: 50ms", "linger: whenever")
        assert reload_with(gw, broken, '"msg":"config reload refused'), gw.logs()
        assert any("export.linger: must be a duration" in line for line in gw.log_lines)
        code, out, err = h.send_events(gw, [{"eventId": "s4", "trace": {"id": "t4", "name": "n"}}],
                                       key=h.STAR_KEY, workspace="gamma")
        assert code == 0 and h.results(out)["s4"][0] == "ACCEPTED", (code, out, err)
    finally:
        rc = gw.stop(timeout=30)
    assert rc == 0, gw.logs()
    leaks = [line for line in gw.log_lines
             if h.API_KEY in line or h.STAR_KEY in line or h.SK in line
             or re.search(r"(?i)(bearer|basic)\s+[A-Za-z0-9._~+/=-]{12,}", line)]
    assert not leaks, leaks
