"""Client configuration: arguments first, then environment variables, then defaults.

| setting     | argument      | environment              | default            |
|-------------|---------------|--------------------------|--------------------|
| endpoint    | endpoint      | TRACEGATE_ENDPOINT       | 127.0.0.1:50051    |
| API key     | api_key       | TRACEGATE_API_KEY        | (none: disabled)   |
| workspace   | workspace     | TRACEGATE_WORKSPACE      | default            |
| environment | environment   | APP_ENV                  | (none)             |
| service     | service       | TRACEGATE_SERVICE        | (none)             |
| app id      | app_id        | TRACEGATE_APP_ID         | (none)             |
| TLS         | tls           | TRACEGATE_TLS (1/true)   | off; on for https: |
| CA bundle   | ca_file       | TRACEGATE_CA_FILE        | system roots       |
| mTLS cert   | cert_file     | TRACEGATE_CERT_FILE      | none               |
| mTLS key    | key_file      | TRACEGATE_KEY_FILE       | none               |

The endpoint may be written `host:port`, `grpc://host:port`, `http://host:port/...` or
`https://host:port/...` (the last turns TLS on; a path is ignored).

The app id goes on every IngestRequest (the gateway tags the trace `app:<app_id>` and sets
its metadata `app_id`). Like the gateway, the client accepts at most 200 bytes (UTF-8) and no
control characters; the client logs one warning for an invalid id and does not send it.
"""

from __future__ import annotations

import dataclasses
import os
import re
from typing import Mapping, Optional
from urllib.parse import urlsplit

DEFAULT_ENDPOINT = "127.0.0.1:50051"
DEFAULT_WORKSPACE = "default"
MAX_REQUEST_VALUE_BYTES = 200  # the gateway's limit for IngestRequest.app_id / request_id

_TRUE = {"1", "true", "yes", "on"}
_ENV_NAME_BAD = re.compile(r"[^a-z0-9_-]+")


def parse_endpoint(text: str) -> tuple[str, Optional[bool]]:
    """Returns (host:port, tls or None when the text does not say)."""
    text = text.strip()
    if "://" not in text:
        return text, None
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    port = parts.port or (443 if scheme in ("https", "grpcs") else 80)
    host = parts.hostname or "127.0.0.1"
    if ":" in host:  # IPv6 literal
        host = "[%s]" % host
    tls = scheme in ("https", "grpcs")
    return "%s:%d" % (host, port), tls


def environment_name(app_env: Optional[str]) -> str:
    """APP_ENV as a Langfuse environment name ([a-z0-9_-], at most 40, not 'langfuse*')."""
    if not app_env:
        return ""
    name = _ENV_NAME_BAD.sub("-", app_env.strip().lower())[:40].strip("-")
    return "" if name.startswith("langfuse") else name


def request_value_problem(value: str) -> str:
    """Why the gateway would reject `value` as IngestRequest.app_id ("" when it is fine):
    more than 200 bytes of UTF-8, or a control character (below 0x20, or 0x7F)."""
    if len(value.encode("utf-8", "surrogatepass")) > MAX_REQUEST_VALUE_BYTES:
        return "longer than %d characters" % MAX_REQUEST_VALUE_BYTES
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        return "must not contain control characters"
    return ""


@dataclasses.dataclass(frozen=True)
class ClientConfig:
    endpoint: str = DEFAULT_ENDPOINT
    api_key: str = ""
    workspace: str = DEFAULT_WORKSPACE
    app_env: str = ""  # raw APP_ENV (used for the env:<APP_ENV> tag)
    environment: str = ""  # Langfuse environment derived from app_env
    service: str = ""
    app_id: str = ""  # as given; see request_value_problem
    tls: bool = False
    ca_file: str = ""
    cert_file: str = ""
    key_file: str = ""

    @classmethod
    def resolve(cls, *, endpoint: Optional[str] = None, api_key: Optional[str] = None,
                workspace: Optional[str] = None, app_env: Optional[str] = None,
                service: Optional[str] = None, app_id: Optional[str] = None,
                tls: Optional[bool] = None,
                ca_file: Optional[str] = None, cert_file: Optional[str] = None,
                key_file: Optional[str] = None,
                env: Optional[Mapping[str, str]] = None) -> "ClientConfig":
        env = os.environ if env is None else env

        def pick(arg, name, default=""):
            if arg is not None:
                return arg
            value = env.get(name, "")
            return value if value else default

        ep_text = pick(endpoint, "TRACEGATE_ENDPOINT", DEFAULT_ENDPOINT)
        ep, url_tls = parse_endpoint(ep_text)
        if tls is None:
            env_tls = env.get("TRACEGATE_TLS", "")
            tls = env_tls.strip().lower() in _TRUE if env_tls else bool(url_tls)
        raw_env = pick(app_env, "APP_ENV")
        return cls(endpoint=ep, api_key=pick(api_key, "TRACEGATE_API_KEY"),
                   workspace=pick(workspace, "TRACEGATE_WORKSPACE", DEFAULT_WORKSPACE),
                   app_env=raw_env, environment=environment_name(raw_env),
                   service=pick(service, "TRACEGATE_SERVICE"),
                   app_id=pick(app_id, "TRACEGATE_APP_ID"), tls=bool(tls),
                   ca_file=pick(ca_file, "TRACEGATE_CA_FILE"),
                   cert_file=pick(cert_file, "TRACEGATE_CERT_FILE"),
                   key_file=pick(key_file, "TRACEGATE_KEY_FILE"))

    def default_tags(self) -> list[str]:
        """The seed's default tags: env:<APP_ENV> and service:<name>, when known."""
        tags = []
        if self.app_env:
            tags.append("env:" + self.app_env)
        if self.service:
            tags.append("service:" + self.service)
        return tags
