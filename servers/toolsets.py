"""Toolsets: each server's tools grouped by name, so the default surface an agent pays for stays small.

The ``default`` toolset is always installed; ``--toolsets a,b`` adds named ones and ``all``
adds every one. Each tool states its MCP annotations explicitly (there is no default to
hide behind).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from mcp.server import MCPServer
from mcp_types import ToolAnnotations

from .errors import StartupError

__all__ = ["DEFAULT", "ToolRegistry"]

DEFAULT = "default"
_F = TypeVar("_F", bound=Callable[..., Any])


@dataclass(frozen=True)
class _ToolDef:
    fn: Callable[..., Any]
    toolset: str
    title: str
    annotations: ToolAnnotations


class ToolRegistry:
    """The tools of one server, by toolset; ``install`` adds the selected ones to an MCPServer."""

    def __init__(self, toolsets: dict[str, str]) -> None:
        if DEFAULT not in toolsets:
            raise ValueError("a server must describe its default toolset")
        self.toolsets = dict(toolsets)  # name -> one-line description
        self._tools: dict[str, _ToolDef] = {}

    def tool(
        self,
        toolset: str = DEFAULT,
        *,
        title: str,
        read_only: bool,
        destructive: bool,
        idempotent: bool,
        open_world: bool,
    ) -> Callable[[_F], _F]:
        """Register a tool in ``toolset``; the function's docstring is what the model reads."""
        if toolset not in self.toolsets:
            raise ValueError(f"unknown toolset {toolset!r}")

        def register(fn: _F) -> _F:
            if fn.__name__ in self._tools:
                raise ValueError(f"tool {fn.__name__} registered twice")
            if not (fn.__doc__ or "").strip():
                raise ValueError(f"tool {fn.__name__} needs a docstring written for the model")
            annotations = ToolAnnotations(
                title=title,
                read_only_hint=read_only,
                destructive_hint=False if read_only else destructive,
                idempotent_hint=idempotent,
                open_world_hint=open_world,
            )
            self._tools[fn.__name__] = _ToolDef(fn, toolset, title, annotations)
            return fn

        return register

    def names(self, selected: frozenset[str] | None = None) -> list[str]:
        return [name for name, t in self._tools.items() if selected is None or t.toolset in selected]

    def select(self, spec: str | None) -> frozenset[str]:
        """Parse a ``--toolsets`` value ("a,b" or "all"); ``default`` is always included.

        Raises:
            StartupError: a name that is not a toolset of this server.
        """
        names = {part.strip() for part in (spec or "").split(",") if part.strip()}
        if "all" in names:
            return frozenset(self.toolsets)
        unknown = sorted(names - set(self.toolsets))
        if unknown:
            raise StartupError(
                "invalid_argument",
                f"unknown toolset {', '.join(unknown)}; choose from {', '.join(sorted(self.toolsets))} or all",
                exit_status=2,
            )
        return frozenset(names | {DEFAULT})

    def install(self, server: MCPServer, selected: frozenset[str]) -> None:
        for name, tool in self._tools.items():
            if tool.toolset in selected:
                server.add_tool(
                    tool.fn,
                    name=name,
                    title=tool.title,
                    description=inspect.cleandoc(tool.fn.__doc__ or ""),
                    annotations=tool.annotations,
                )
