"""docker-compose.yml and .env.example: Langfuse gets only variables it reads, every variable
is documented, nothing secret is committed, and the gateway uses the keys Langfuse creates."""
import os
import re

import pytest

import deploy_files as d

LANGFUSE_SERVICES = ("langfuse-web", "langfuse-worker")
# Names the seed's snippet passes that Langfuse never reads (and the .env names it used for them).
SEED_WRONG = re.compile(r"^(LANGFUSE_)?(SECRET_KEY_BASE|API_KEY|SEARCH_BACKEND|MSEARCH_URL|STORAGE_\w+)$")
SECRET_NAME = re.compile(r"(PASSWORD|SECRET|SALT|ENCRYPTION_KEY|_KEY|SHA256)")


def langfuse_env_names():
    services = d.compose()["services"]
    names = set()
    for s in LANGFUSE_SERVICES:
        assert "env_file" not in services[s], f"{s}: env_file would pass names Langfuse does not read"
        names |= set(services[s]["environment"])
    return names


def committed_names():
    lines = d.read("tests", "deploy", "langfuse_env_names.txt").splitlines()
    return {l.strip() for l in lines if l.strip() and not l.startswith("#")}


def pinned_version():
    versions = set(re.findall(r"\$\{LANGFUSE_VERSION:-([^}]+)\}", d.read("docker-compose.yml")))
    assert len(versions) == 1, f"one Langfuse version in docker-compose.yml, found {versions}"
    return versions.pop()


def test_langfuse_env_matches_committed_list():
    used, listed = langfuse_env_names(), committed_names()
    assert used - listed == set(), "new Langfuse variables: check them, then add them to langfuse_env_names.txt"
    assert listed - used == set(), "langfuse_env_names.txt lists names the compose file no longer uses"


def test_langfuse_env_names_are_read_by_the_pinned_langfuse():
    shared = d.shared_langfuse_dir()
    if shared is None:
        # Without ../shared the committed list (checked above) is the reference.
        assert committed_names(), "langfuse_env_names.txt is empty"
        return
    major = pinned_version().split(".")[0]
    with open(os.path.join(shared, f"env-vars-v{major}.txt")) as f:
        known = {l.strip() for l in f if l.strip() and not l.startswith("#")}
    unknown = sorted((langfuse_env_names() | committed_names()) - known)
    assert unknown == [], f"Langfuse v{major} does not read {unknown}"


def test_no_seed_variable_names_that_langfuse_ignores():
    services = d.compose()["services"]
    for name, svc in services.items():
        for var in svc.get("environment") or {}:
            assert not SEED_WRONG.match(var), f"{name}: {var} is not a Langfuse variable"
    for var in d.env_example():
        assert not SEED_WRONG.match(var), f".env.example: {var} is not read by anything"


def test_every_compose_variable_is_in_env_example_with_a_comment():
    example = d.env_example()
    missing = sorted(d.compose_variables() - set(example))
    assert missing == [], f".env.example lacks {missing}"
    for name, (_, comments) in example.items():
        assert comments, f".env.example: {name} has no comment"


def test_every_env_example_variable_is_used():
    used = d.compose_variables()
    gen_env = d.read("deploy", "gen-env.sh")
    for name in d.env_example():
        assert name in used or name in gen_env, f".env.example: {name} is used nowhere"


def test_no_secret_values_committed():
    for name, (value, _) in d.env_example().items():
        if SECRET_NAME.search(name) and name != "LANGFUSE_S3_MEDIA_UPLOAD_ENDPOINT":
            assert value == "", f".env.example: {name} must stay empty (gen-env.sh fills it)"
    # Secrets in the compose file come from .env only: required (:?) or empty by default.
    text = d.read("docker-compose.yml")
    for m in re.finditer(r"\$\{([A-Z_0-9]+):-([^}]*)\}", text):
        name, default = m.groups()
        if SECRET_NAME.search(name) and "ENDPOINT" not in name:
            assert default == "", f"docker-compose.yml: {name} has a default value"


def test_gateway_uses_the_project_keys_langfuse_creates():
    services = d.compose()["services"]
    web, gw = services["langfuse-web"]["environment"], services["tracegate"]["environment"]
    for init, route in (("LANGFUSE_INIT_PROJECT_PUBLIC_KEY", "LANGFUSE_PUBLIC_KEY"),
                        ("LANGFUSE_INIT_PROJECT_SECRET_KEY", "LANGFUSE_SECRET_KEY")):
        assert d.VAR_RE.findall(web[init]) == [route]
        assert d.VAR_RE.findall(gw[route]) == [route]
    for name in ("LANGFUSE_INIT_ORG_ID", "LANGFUSE_INIT_PROJECT_ID", "LANGFUSE_INIT_USER_EMAIL"):
        assert name in web, f"headless init needs {name}"
    assert gw["LANGFUSE_BASE_URL"].startswith("http://langfuse-web:3000")


def test_tracegate_has_its_own_redis_with_aof():
    services = d.compose()["services"]
    cmd = services["tracegate-redis"]["command"]
    assert "--appendonly yes" in cmd and "--maxmemory-policy noeviction" in cmd
    assert "tracegate-redis" in services["tracegate"]["depends_on"]
    assert services["langfuse-web"]["environment"]["REDIS_HOST"] == "langfuse-redis"
    gateway_text = repr(services["tracegate"]) + d.read("deploy", "tracegate.yaml")
    assert "langfuse-redis" not in gateway_text


def test_two_gateway_replicas_and_health_checks():
    services = d.compose()["services"]
    assert d.VAR_RE.findall(str(services["tracegate"]["deploy"]["replicas"])) == ["TRACEGATE_REPLICAS"]
    assert d.env_example()["TRACEGATE_REPLICAS"][0] == "2"
    for name in ("tracegate", "tracegate-redis", "langfuse-web", "postgres", "clickhouse", "minio",
                 "langfuse-redis"):
        assert "healthcheck" in services[name], f"{name} has no health check"
    for name, svc in services.items():
        for dep, cond in (svc.get("depends_on") or {}).items():
            assert "healthcheck" in services[dep] or cond["condition"] == "service_started", \
                f"{name} waits for {dep} to be healthy, but {dep} has no health check"


def test_langfuse_version_is_pinned_and_documented():
    version = pinned_version()
    assert re.fullmatch(r"\d+\.\d+\.\d+", version)
    assert d.env_example()["LANGFUSE_VERSION"][0] == version
    doc = d.read("docs", "langfuse-version.md")
    assert f"`{version}`" in doc, "docs/langfuse-version.md must name the pinned tag"
    for word in ("Rollback", "Pulled", "Maintainer"):
        assert word in doc, f"docs/langfuse-version.md: no {word}"


def test_init_sql_creates_langfuse_database_and_user_without_a_literal_password():
    sql = d.read("deploy", "init-langfuse.sql")
    assert "\\getenv langfuse_password LANGFUSE_DB_PASSWORD" in sql
    assert re.search(r"CREATE ROLE langfuse WITH LOGIN PASSWORD :'langfuse_password'", sql)
    assert "CREATE DATABASE langfuse OWNER langfuse" in sql
    url = d.compose()["x-langfuse-env"]["DATABASE_URL"]
    assert url.startswith("postgresql://langfuse:${LANGFUSE_DB_PASSWORD") and url.endswith("@postgres:5432/langfuse")


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__, "-q"]))
