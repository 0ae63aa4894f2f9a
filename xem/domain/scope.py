"""A workspace's scope (meaning 2 of "scope" in the glossary): what its tools may touch, beyond what each tool's
schema allows. Checked by the bridge before an invocation is created and again by the agent before it runs the
frame (the dispatch frame carries the scope), so a frame that bypasses the bridge is refused too.

- ``path_prefixes``: every argument marked as a path (``"format": "path"`` in the tool's schema) must, once
  normalised, lie under one of these (relative to the workspace root; ``..`` cannot climb out). Empty: any path.
- ``patterns``: ``{"<tool>.<argument>" or "<argument>": regex}``; a string argument with a pattern must match it
  whole (``re.fullmatch``). The tool-qualified key wins over the bare one.
"""

from __future__ import annotations

import posixpath
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["Scope", "path_arguments", "scope_violation"]


class Scope(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    path_prefixes: tuple[str, ...] = Field((), max_length=50, description="allowed path prefixes (relative to the root)")
    patterns: dict[str, str] = Field(default_factory=dict, max_length=100,
                                     description="'<tool>.<argument>' or '<argument>' -> regex the value must match")

    @field_validator("path_prefixes")
    @classmethod
    def _prefixes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        out = []
        for prefix in value:
            if not prefix or len(prefix) > 1024 or "\x00" in prefix:
                raise ValueError("a path prefix is 1-1024 characters without NUL")
            norm = _norm(prefix)
            if norm is None:
                raise ValueError(f"path prefix {prefix!r} climbs out of the workspace root")
            out.append(norm)
        return tuple(out)

    @field_validator("patterns")
    @classmethod
    def _patterns(cls, value: dict[str, str]) -> dict[str, str]:
        for key, pattern in value.items():
            if not re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9_-]{0,47}\.)?[A-Za-z_][A-Za-z0-9_]{0,63}", key):
                raise ValueError(f"pattern key {key!r} is not '<tool>.<argument>' or '<argument>'")
            if len(pattern) > 500:
                raise ValueError(f"pattern for {key} is over 500 characters")
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"pattern for {key} is not a regular expression: {exc}") from None
        return value

    @property
    def empty(self) -> bool:
        return not self.path_prefixes and not self.patterns


def _norm(path: str) -> str | None:
    """The path relative to the root, normalised; None if it climbs out (``..``)."""
    norm = posixpath.normpath(path)
    if norm == ".." or norm.startswith("../"):
        return None
    return norm


def path_arguments(input_schema: dict[str, Any]) -> frozenset[str]:
    """The arguments a tool's schema marks as paths."""
    props = input_schema.get("properties") or {}
    return frozenset(k for k, v in props.items() if isinstance(v, dict) and v.get("format") == "path")


def _under(path: str, prefix: str) -> bool:
    return prefix == "." or path == prefix or path.startswith(prefix.rstrip("/") + "/")


def scope_violation(scope: Scope, workspace: str, tool: str, arguments: dict[str, Any],
                    paths: frozenset[str]) -> str | None:
    """Why ``arguments`` fall outside ``scope`` (the message of a Forbidden, with the next step), or None."""
    fix = f"ask an operator to widen it with `xeroctl workspaces scope {workspace} ...`"
    for name in sorted(arguments):
        value = arguments[name]
        if name in paths and scope.path_prefixes and isinstance(value, str):
            norm = _norm(value)
            if norm is None or not any(_under(norm, p) for p in scope.path_prefixes):
                return (f"{tool} argument {name}={value!r} is outside workspace {workspace}'s scope (allowed "
                        f"paths: {', '.join(scope.path_prefixes)}); {fix}")
        pattern = scope.patterns.get(f"{tool}.{name}", scope.patterns.get(name))
        if pattern is not None and isinstance(value, str) and re.fullmatch(pattern, value) is None:
            return (f"{tool} argument {name}={value[:100]!r} is outside workspace {workspace}'s scope (it must "
                    f"match {pattern!r}); {fix}")
    return None
