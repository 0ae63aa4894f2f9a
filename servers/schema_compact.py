"""Smaller tool schemas for ``tools/list``: the same validation in fewer bytes (agents pay for every byte).

pydantic's JSON schemas repeat an auto-generated ``title`` on every property, spell ``X | None`` as
``anyOf: [X, {"type": "null"}]`` and state obvious defaults. ``compact`` drops the titles and the
null/false/empty defaults (an optional argument is absent from ``required`` anyway) and writes the
union as ``"type": [X, "null"]``; what a schema accepts is unchanged.
Tool descriptions lose their docstring indentation.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from typing import Any

from mcp.server import MCPServer

__all__ = ["compact", "compact_tool_schemas"]

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


def compact_tool_schemas(server: MCPServer, names: Iterable[str] | None = None) -> None:
    """Compact the schemas of the named tools, or of all (call before the first tools/list)."""
    manager = server._tool_manager  # noqa: SLF001 - the SDK keeps tools there
    for name in names if names is not None else [t.name for t in manager.list_tools()]:
        tool = manager.get_tool(name)
        if tool is None:
            continue
        tool.parameters = compact(tool.parameters)
        tool.description = inspect.cleandoc(tool.description)
        if tool.fn_metadata.output_schema is not None:
            tool.fn_metadata.output_schema = compact(tool.fn_metadata.output_schema)
