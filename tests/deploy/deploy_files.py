"""Helpers shared by the tests/deploy Python tests: paths and parsers of the deploy files."""
import os
import re

import yaml

SRC = os.environ.get("TRACEGATE_SOURCE_DIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))


def path(*parts: str) -> str:
    return os.path.join(SRC, *parts)


def read(*parts: str) -> str:
    with open(path(*parts), encoding="utf-8") as f:
        return f.read()


def compose() -> dict:
    return yaml.safe_load(read("docker-compose.yml"))


def env_example() -> dict:
    """NAME -> (value, comment lines above its group) from .env.example. A group is a run of
    variables without blank lines between them, under one comment."""
    out, comments, group = {}, [], []
    for line in read(".env.example").splitlines():
        if line.startswith("#"):
            comments.append(line)
        elif not line.strip():
            comments, group = [], []
        else:
            if comments:
                group, comments = comments, []
            name, _, value = line.partition("=")
            out[name] = (value, list(group))
    return out


VAR_RE = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)(?::?[-?][^}]*)?\}")


def compose_variables() -> set:
    """Names of every ${VAR} the compose file interpolates."""
    return set(VAR_RE.findall(read("docker-compose.yml")))


def shared_langfuse_dir():
    """../shared/langfuse next to the repository, when it is there."""
    d = os.environ.get("TRACEGATE_SHARED_DIR") or os.path.join(SRC, "..", "shared")
    d = os.path.join(d, "langfuse")
    return d if os.path.isdir(d) else None
