"""Validation of legacy ingestion events against the official OpenAPI spec.

``SpecValidator(path)`` loads shared/langfuse/openapi.yml (OpenAPI 3.0.1, generated
by Fern) and checks one ingestion event at a time against the ``IngestionEvent``
branch selected by the event's ``type``.  It complements ``emu_validate`` (the
server's zod rules): the spec is what clients are told to send, and the gateway's
tests want to know when they stray from it.

How the OpenAPI 3.0 schemas are turned into JSON Schema (2020-12), and why:
  * ``nullable: true`` becomes ``anyOf: [{type: null}, <schema>]``; this also
    covers ``$ref`` siblings, which OpenAPI 3.0 would otherwise ignore.
  * ``oneOf`` becomes ``anyOf``.  Fern emits undiscriminated unions as oneOf,
    and valid values match several branches (5 is both an integer and a number
    in ``MapValue``; an OpenAI usage object matches the free map and the OpenAI
    schema in ``UsageDetails``), so a literal oneOf would reject good payloads.
  * ``format: date-time`` is checked with the same rule as the server.
  * The seven ``*-create`` types the spec omits (agent, tool, chain, retriever,
    evaluator, embedding, guardrail) are checked against ``CreateGenerationEvent``,
    which is the body schema the server uses for them.
The spec is loaded once; validators are cached per event type.  Thread-safe after
construction (validation does not mutate shared state).
"""

from __future__ import annotations

import copy
from typing import Any, Dict, List, Optional

import jsonschema
import yaml

import emu_validate

_REF_PREFIX = "#/components/schemas/"


def _convert(node: Any) -> Any:
    """Recursively converts an OpenAPI 3.0 schema node to JSON Schema 2020-12."""
    if isinstance(node, list):
        return [_convert(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key in ("nullable", "example", "examples", "discriminator", "xml",
                   "externalDocs", "deprecated", "readOnly", "writeOnly"):
            continue
        if key == "oneOf":
            out["anyOf"] = _convert(value)
        elif key in ("properties", "patternProperties"):
            out[key] = {name: _convert(sub) for name, sub in value.items()}
        else:
            out[key] = _convert(value)
    if node.get("nullable") is True:
        return {"anyOf": [{"type": "null"}, out]}
    return out


def _date_time_ok(instance: Any) -> bool:
    return not isinstance(instance, str) or emu_validate.parse_iso(instance) is not None


class SpecValidator:
    """Checks ingestion events against the spec's ``IngestionEvent`` union."""

    def __init__(self, path: str):
        with open(path, "rb") as handle:
            loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
            spec = yaml.load(handle, Loader=loader)
        schemas = spec.get("components", {}).get("schemas", {})
        if "IngestionEvent" not in schemas:
            raise ValueError("%s has no components.schemas.IngestionEvent" % path)
        self.path = path
        self.spec_version = spec.get("openapi", "?")
        self._components = {"schemas": {k: _convert(v) for k, v in schemas.items()}}
        self._branches = self._index_branches(schemas["IngestionEvent"])
        checker = jsonschema.FormatChecker(formats=())
        checker.checks("date-time")(_date_time_ok)
        self._format_checker = checker
        self._cache: Dict[str, Any] = {}

    @staticmethod
    def _index_branches(union: dict) -> Dict[str, dict]:
        """Maps each event ``type`` to its branch of the IngestionEvent oneOf."""
        branches = {}
        for branch in union.get("oneOf", []):
            for part in branch.get("allOf", []):
                enum = part.get("properties", {}).get("type", {}).get("enum", [])
                for etype in enum:
                    branches[etype] = _convert(branch)
        return branches

    def known_types(self) -> List[str]:
        return sorted(self._branches)

    def _validator(self, etype: str) -> Optional[Any]:
        if etype in self._cache:
            return self._cache[etype]
        if etype in self._branches:
            branch = self._branches[etype]
        elif etype in emu_validate.EXTRA_CREATE_TYPES:
            branch = {"allOf": [{"$ref": _REF_PREFIX + "CreateGenerationEvent"}],
                      "required": ["type"]}
        else:
            branch = None
        validator = None
        if branch is not None:
            root = copy.deepcopy(branch)
            root["components"] = self._components
            validator = jsonschema.Draft202012Validator(
                root, format_checker=self._format_checker)
        self._cache[etype] = validator
        return validator

    def validate(self, event: Any) -> List[str]:
        """Returns spec violations of ``event`` as ``"<json path>: <message>"`` strings."""
        if not isinstance(event, dict):
            return ["$: event is not an object"]
        etype = event.get("type")
        validator = self._validator(etype) if isinstance(etype, str) else None
        if validator is None:
            return ["$.type: %r is not an IngestionEvent type in the spec" % (etype,)]
        problems = []
        for error in sorted(validator.iter_errors(event), key=lambda e: list(e.path)):
            problems.extend(_describe(error))
        return problems


def _describe(error: Any) -> List[str]:
    """Flattens anyOf errors to their most specific leaves for readable reports."""
    if error.validator == "anyOf" and error.context:
        # Prefer the branch that got furthest (deepest path), skip "is not null".
        leaves = [e for e in error.context if not (e.validator == "type" and e.validator_value == "null")]
        if leaves:
            deepest = max(len(e.absolute_path) for e in leaves)
            return [_fmt(e) for e in leaves if len(e.absolute_path) == deepest][:3]
    return [_fmt(error)]


def _fmt(error: Any) -> str:
    path = "$" + "".join("[%d]" % p if isinstance(p, int) else "." + str(p)
                         for p in error.absolute_path)
    return "%s: %s" % (path, error.message)
