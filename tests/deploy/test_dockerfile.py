"""deploy/Dockerfile: multi-stage, non-root, health-checked, and built with the same scripts
as scripts/setup.sh (one source of truth for packages and build commands)."""
import os
import re

import yaml

import deploy_files as d


def stages():
    """[(base, [(instruction, args)])] with line continuations joined, comments dropped."""
    text = re.sub(r"\\\n", " ", d.read("deploy", "Dockerfile"))
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        instr, _, args = line.partition(" ")
        instr = instr.upper()
        if instr == "FROM":
            out.append((args, []))
        elif out:
            out[-1][1].append((instr, args.strip()))
    return out


def runs(stage):
    return " ; ".join(a for i, a in stage[1] if i == "RUN")


def test_multi_stage_build_then_runtime():
    s = stages()
    assert len(s) >= 2
    assert s[0][0].endswith("AS build") and s[-1][0].endswith("AS runtime")
    assert any(i == "COPY" and a.startswith("--from=build ") for i, a in s[-1][1])


def test_build_steps_are_the_setup_scripts():
    build, runtime = stages()[0], stages()[-1]
    assert "scripts/install-deps.sh build" in runs(build)
    assert "scripts/build.sh" in runs(build)
    assert "install-deps.sh runtime" in runs(runtime)
    setup = d.read("scripts", "setup.sh")
    assert re.search(r"^scripts/install-deps.sh build\b", setup, re.M)
    assert re.search(r"^scripts/build.sh build\b", setup, re.M)
    # No package list of its own: every package comes through install-deps.sh.
    for s in stages():
        assert "apt-get install" not in runs(s) and "apt install" not in runs(s)


def test_runtime_runs_as_non_root_with_health_check():
    runtime = stages()[-1][1]
    users = [a for i, a in runtime if i == "USER"]
    assert users and users[-1].split(":")[0] not in ("0", "root")
    health = [a for i, a in runtime if i == "HEALTHCHECK"]
    assert health and "/readyz" in health[0]
    port = re.search(r"127\.0\.0\.1:(\d+)/readyz", health[0]).group(1)
    cfg = yaml.safe_load(d.read("deploy", "tracegate.yaml"))
    assert cfg["server"]["admin_listen"].endswith(":" + port)
    entry = [a for i, a in runtime if i == "ENTRYPOINT"]
    assert entry and "/usr/local/bin/tracegate" in entry[0]


def test_copied_files_exist_and_are_not_ignored():
    ignored = [l.strip() for l in d.read("deploy", "Dockerfile.dockerignore").splitlines()
               if l.strip() and not l.startswith("#")]
    for _, instrs in stages():
        for i, a in instrs:
            if i != "COPY" or a.startswith("--from="):
                continue
            for src in a.split()[:-1]:
                if src == ".":
                    continue
                assert os.path.exists(d.path(src)), f"COPY {src}: no such file"
                assert not any(src.startswith(p.rstrip("*/")) for p in ignored), src
    for needed in ("scripts", "gateway", "proto", "clients", "CMakeLists.txt"):
        assert not any(needed == p.rstrip("/*") for p in ignored), f"{needed} is ignored"


def test_compose_builds_this_dockerfile():
    gw = d.compose()["services"]["tracegate"]
    assert gw["build"] == {"context": ".", "dockerfile": "deploy/Dockerfile"}
    assert "/readyz" in " ".join(gw["healthcheck"]["test"])


def test_root_dockerignore_matches_the_buildkit_one():
    """The classic builder reads only ./.dockerignore: without it .env and build dirs would
    be sent into the build context."""
    def entries(*parts):
        return sorted(l.strip() for l in d.read(*parts).splitlines()
                      if l.strip() and not l.startswith("#"))
    assert entries(".dockerignore") == entries("deploy", "Dockerfile.dockerignore")
    assert ".env" in entries(".dockerignore")
