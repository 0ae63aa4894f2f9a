"""Chat templates: the document (checked against the published JSON Schema plus the rules a schema cannot say),
resolution by scope (workspace over project over platform, by name; the latest version unless pinned), the
approval cadence, and rendering of the system prompt and instructions with the declared variables."""

from __future__ import annotations

import fnmatch
import re
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import jsonschema

from xem.domain.schemas import validate_arguments
from xem.errors import InvalidArgument

__all__ = ["CADENCES", "SCOPES", "ChatTemplate", "TemplateLibrary", "TemplateRef", "check_document", "needs_approval",
           "parse_ref", "render", "resolve", "tool_allowed"]

Scope = Literal["platform", "project", "workspace"]
Cadence = Literal["every_destructive", "once_per_session", "per_policy"]
SCOPES: tuple[Scope, ...] = ("platform", "project", "workspace")
CADENCES: tuple[Cadence, ...] = ("every_destructive", "once_per_session", "per_policy")
GATED_RISKS = frozenset({"destructive", "irreversible"})
DEFAULT_SUBPLAN_ITERATIONS = 10  # a template without sub_agentic_max_iterations
_REF = re.compile(r"^(?P<name>[a-z][a-z0-9_]{0,47})(?:@(?P<version>[1-9][0-9]{0,5}))?$")


@dataclass(frozen=True)
class TemplateRef:
    name: str
    version: int | None = None  # None: the latest

    def __str__(self) -> str:
        return self.name if self.version is None else f"{self.name}@{self.version}"


@dataclass(frozen=True)
class ChatTemplate:
    name: str
    scope: Scope
    owner: str  # "" for platform, the project id, or the workspace name
    version: int
    document: Mapping[str, Any] = field(hash=False, compare=False)

    @property
    def label(self) -> str:
        """``name@version (scope owner)``, as errors and answers name it."""
        where = "platform" if self.scope == "platform" else f"{self.scope} {self.owner}"
        return f"{self.name}@{self.version} ({where})"

    @property
    def allowed_tools(self) -> tuple[str, ...]:
        return tuple(self.document["allowed_tools"])

    @property
    def cadence(self) -> Cadence:
        value: Cadence = self.document["approval_cadence"]
        return value

    @property
    def variables(self) -> tuple[Mapping[str, Any], ...]:
        return tuple(self.document.get("variables", ()))

    @property
    def subplan_scope(self) -> tuple[str, ...]:
        return tuple(self.document.get("sub_agentic_tool_scope") or self.allowed_tools)

    @property
    def subplan_max(self) -> int:
        return int(self.document.get("sub_agentic_max_iterations") or DEFAULT_SUBPLAN_ITERATIONS)


@dataclass(frozen=True)
class TemplateLibrary:
    """The published schema and the platform templates (files shipped with the suite), loaded once at start."""

    schema: Mapping[str, Any] | None = None
    platform: Mapping[str, ChatTemplate] = field(default_factory=dict)


def parse_ref(value: str) -> TemplateRef:
    """``name`` or ``name@3``. Raises InvalidArgument."""
    m = _REF.match(value.strip())
    if m is None:
        raise InvalidArgument(f"template {value[:80]!r} is not a template reference: use 'name' (the latest version) or "
                              "'name@3' (version 3); names are lowercase letters, digits and _")
    return TemplateRef(m["name"], int(m["version"]) if m["version"] else None)


def check_document(document: Any, schema: Mapping[str, Any]) -> dict[str, Any]:
    """The document if it is a valid chat template. Raises InvalidArgument naming the field and the rule."""
    try:
        validate_arguments(document, dict(schema))
    except jsonschema.ValidationError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "(document)"
        raise InvalidArgument(f"template {where}: {exc.message}; fix the document (the schema is the resource "
                              "xem://templates/schema) and create it again") from None
    assert isinstance(document, dict)
    scope = document.get("sub_agentic_tool_scope") or ()
    outside = [t for t in scope if not tool_allowed(document["allowed_tools"], t)]
    if outside:
        raise InvalidArgument(f"template sub_agentic_tool_scope: {', '.join(outside)} not in allowed_tools "
                              f"({', '.join(document['allowed_tools'])}); a sub-plan may only narrow the template's tools")
    names = [v["name"] for v in document.get("variables", ())]
    if len(names) != len(set(names)):
        raise InvalidArgument("template variables: a variable name is declared twice; declare each once")
    for key in ("system_prompt", "instructions"):
        used = set()
        for m in string.Template.pattern.finditer(document.get(key, "")):
            if m.group("invalid") is not None:
                raise InvalidArgument(f"template {key}: a '$' that starts no ${{variable}}; write $$ for a dollar sign")
            if m.group("named") or m.group("braced"):
                used.add(m.group("named") or m.group("braced"))
        unknown = sorted(used - set(names) - {"workspace"})
        if unknown:
            raise InvalidArgument(f"template {key}: ${{{unknown[0]}}} is not a declared variable; declare it in variables "
                                  "or remove it")
    return document


def tool_allowed(patterns: Iterable[str], tool: str) -> bool:
    """Whether ``tool`` (or a pattern naming tools) is matched by one of ``patterns`` (shell-style, case-sensitive)."""
    return any(fnmatch.fnmatchcase(tool, p) for p in patterns)


def resolve(candidates: Iterable[ChatTemplate], ref: TemplateRef, *, workspace: str,
            project_id: str | None) -> ChatTemplate | None:
    """The template ``ref`` means for ``workspace``: its own scope first, then its project's, then the platform's;
    within the first scope that has the name, the latest version, or the pinned one (None if that scope lacks it)."""
    for scope, owner in (("workspace", workspace), ("project", project_id), ("platform", "")):
        if owner is None:
            continue
        mine = [t for t in candidates if t.name == ref.name and t.scope == scope and t.owner == owner]
        if mine:
            if ref.version is None:
                return max(mine, key=lambda t: t.version)
            return next((t for t in mine if t.version == ref.version), None)
    return None


def needs_approval(template: ChatTemplate | None, risk: str, *, policy_required: bool, session_approved: bool) -> bool:
    """Whether a call of ``risk`` under ``template`` waits for an approval.

    every_destructive: destructive/irreversible always ask (whatever the policy); read/write follow the policy.
    once_per_session: what the policy or the risk would gate asks until one approval was granted in the session
    (same template, same caller session), then nothing asks. per_policy (or no template): the policy alone.
    """
    if template is None or template.cadence == "per_policy":
        return policy_required
    gated = policy_required or risk in GATED_RISKS
    if template.cadence == "every_destructive":
        return gated
    return gated and not session_approved


def render(template: ChatTemplate, workspace: str, arguments: Mapping[str, str]) -> tuple[str, str]:
    """(system prompt, instructions) with the variables replaced. Raises InvalidArgument naming a missing required
    variable or an undeclared argument."""
    declared = {v["name"]: v for v in template.variables}
    unknown = sorted(set(arguments) - set(declared))
    if unknown:
        raise InvalidArgument(f"template {template.label} takes no argument {', '.join(unknown)} "
                              f"(its variables: {', '.join(declared) or 'none'})")
    missing = [n for n, v in declared.items() if v.get("required") and not arguments.get(n)]
    if missing:
        raise InvalidArgument(f"template {template.label} needs {', '.join(missing)}; pass "
                              f"{' and '.join(missing)} as prompt arguments")
    values = {n: str(arguments.get(n) or v.get("default", "")) for n, v in declared.items()} | {"workspace": workspace}
    body = string.Template(template.document["system_prompt"]).safe_substitute(values)
    instructions = string.Template(template.document.get("instructions", "")).safe_substitute(values)
    return body, instructions
