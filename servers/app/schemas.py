"""Smaller tool schemas for ``tools/list``: the same validation in fewer bytes (agents pay for every byte).

pydantic's JSON schemas repeat an auto-generated ``title`` on every property, spell ``X | None`` as
``anyOf: [X, {"type": "null"}]`` and state obvious defaults. ``compact`` drops the titles and the
null/false/empty defaults (an optional argument is absent from ``required`` anyway) and writes the
union as ``"type": [X, "null"]``; what a schema accepts is unchanged.
"""

from __future__ import annotations

from typing import Any

__all__ = ["compact"]

_NULL = {"type": "null"}


def compact(node: Any) -> Any:
    if isinstance(node, list):
        return [compact(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: compact(v) for k, v in node.items()
           if not (k == "title" and isinstance(v, str)) and not (k == "default" and v in (None, False, [], ""))}
    branches = out.get("anyOf")
    if isinstance(branches, list) and len(branches) == 2 and _NULL in branches:
        other = branches[0] if branches[1] == _NULL else branches[1]
        if isinstance(other.get("type"), str) and "$ref" not in other and "const" not in other:
            rest = {k: v for k, v in out.items() if k != "anyOf"}
            out = {**other, **rest, "type": [other["type"], "null"]}
            if "enum" in other:  # enum constrains every type: null must be listed too
                out["enum"] = [*other["enum"], None]
    return out
