"""Smaller, portable tool schemas for ``tools/list`` (agents pay for every byte; model providers differ in the
JSON Schema they take).

pydantic's JSON schemas repeat an auto-generated ``title`` on every property and state obvious defaults:
``compact`` drops those. A nullable value keeps pydantic's ``anyOf: [X, {"type": "null"}]`` (the form the
MCP Inspector's ``--strict`` check recommends; a ``"type": [X, "null"]`` array is rejected by some
providers). In an *input* schema, an optional argument whose default is null is written as plain ``X``:
the caller simply leaves it out (the server still accepts an explicit null).
"""

from __future__ import annotations

from typing import Any

__all__ = ["compact"]

_NULL = {"type": "null"}


def compact(node: Any, *, inputs: bool = False) -> Any:
    """``node`` without auto titles and trivial defaults; ``inputs``: also without the null branch of optional
    arguments (a default of null); an output schema also without descriptions (the tool's description says what
    it answers)."""
    if isinstance(node, list):
        return [compact(n, inputs=inputs) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: compact(v, inputs=inputs) for k, v in node.items()
           if not (k == "title" and isinstance(v, str)) and not (k == "default" and v in (None, False, [], ""))
           and not (k == "description" and not inputs and isinstance(v, str))}
    props = node.get("properties")
    if inputs and isinstance(props, dict) and isinstance(out.get("properties"), dict):
        required = set(node.get("required", []))
        out["properties"] = {name: _without_null(sub) if name not in required and props[name].get("default", None) is None
                             else sub for name, sub in out["properties"].items()}
    return out


def _without_null(schema: Any) -> Any:
    branches = schema.get("anyOf") if isinstance(schema, dict) else None
    if not (isinstance(branches, list) and _NULL in branches):
        return schema
    rest = [b for b in branches if b != _NULL]
    extra = {k: v for k, v in schema.items() if k != "anyOf"}
    return {**rest[0], **extra} if len(rest) == 1 else {**extra, "anyOf": rest}
