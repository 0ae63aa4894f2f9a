"""Tools, by toolset: each adapter module declares its tools in a ``ToolGroup``; a server's ``ToolRegistry``
lists its groups explicitly and builds the SDK ``Tool`` objects of the selected toolsets.

The ``default`` toolset is always installed; ``--toolsets a,b`` adds named ones and ``all``
adds every one. Each tool states its MCP annotations explicitly (there is no default to
hide behind). Every tool function is wrapped so that whatever it raises reaches the client as a
``[code] message`` tool error (``servers.kernel.errors.describe_exception``), never as SDK text.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from mcp.server.mcpserver.tools import Tool
from mcp.shared.exceptions import MCPError
from mcp_types import CallToolResult, TextContent, ToolAnnotations

from servers.app.schemas import compact
from servers.kernel.errors import StartupError, describe_exception

__all__ = ["DEFAULT", "SCOPES", "Scope", "ToolDef", "ToolGroup", "ToolRegistry", "error_result"]

DEFAULT = "default"
HEALTH_NAME = "health"  # every server's health tool (servers.app.health)
_F = TypeVar("_F", bound=Callable[..., Any])

# API-key scopes (xem-glossary "scope", meaning 1). "read" is not a key scope: it means any valid key may call
# the tool. A tool's scope is declared where it is registered; unless it says otherwise, a read-only tool is
# "read" and any other tool needs "execution".
Scope = Literal["read", "execution", "management", "research", "inference"]
SCOPES: tuple[str, ...] = ("execution", "management", "research", "inference")


def error_result(text: str) -> CallToolResult:
    return CallToolResult(content=[TextContent(type="text", text=text)], is_error=True)


@dataclass(frozen=True)
class ToolDef:
    name: str
    fn: Callable[..., Any]
    toolset: str
    title: str
    annotations: ToolAnnotations
    scope: Scope = "read"
    # arguments that, when truthy, raise the scope a call needs (e.g. transition(override=true) -> management)
    elevate: tuple[tuple[str, Scope], ...] = ()

    def scope_for(self, arguments: dict[str, Any]) -> Scope:
        """The scope a call with ``arguments`` needs."""
        for name, scope in self.elevate:
            if arguments.get(name):
                return scope
        return self.scope

    def build(self, *, compact_schemas: bool) -> Tool:
        """The SDK tool: our wrapper around ``fn`` (signature, docstring and return type unchanged)."""
        fn = self.fn

        @functools.wraps(fn)
        async def shaped(*args: Any, **kwargs: Any) -> Any:
            try:
                return await fn(*args, **kwargs)
            except MCPError:  # a protocol error the SDK answers as such
                raise
            except Exception as exc:  # the tool boundary: every failure becomes a [code] tool error
                return error_result(describe_exception(exc, action=f"tool {self.name}"))

        tool = Tool.from_function(shaped, name=self.name, title=self.title,
                                  description=inspect.cleandoc(fn.__doc__ or ""), annotations=self.annotations)
        if compact_schemas:
            tool.parameters = compact(tool.parameters, inputs=True)
            if tool.fn_metadata.output_schema is not None:
                tool.fn_metadata.output_schema = compact(tool.fn_metadata.output_schema)
        return tool


class ToolGroup:
    """The tools one adapter module declares; a server's registry includes the groups it serves."""

    def __init__(self) -> None:
        self.defs: list[ToolDef] = []

    def tool(
        self,
        toolset: str = DEFAULT,
        *,
        title: str,
        read_only: bool,
        destructive: bool,
        idempotent: bool,
        open_world: bool,
        scope: Scope | None = None,
        elevate: dict[str, Scope] | None = None,
    ) -> Callable[[_F], _F]:
        """Declare a tool in ``toolset``; the function's docstring is what the model reads. ``scope`` is the API-key
        scope a caller needs (default: "read" for a read-only tool, "execution" otherwise); ``elevate`` maps an
        argument to the scope a call needs when that argument is true."""

        def register(fn: _F) -> _F:
            if not (fn.__doc__ or "").strip():
                raise ValueError(f"tool {fn.__name__} needs a docstring written for the model")
            annotations = ToolAnnotations(  # no annotations.title: the tool's own title says it (bytes every agent pays)
                read_only_hint=read_only,
                destructive_hint=False if read_only else destructive,
                idempotent_hint=idempotent,
                open_world_hint=open_world,
            )
            needed: Scope = scope if scope is not None else ("read" if read_only else "execution")
            self.defs.append(ToolDef(fn.__name__, fn, toolset, title, annotations, needed, tuple((elevate or {}).items())))
            return fn

        return register


class ToolRegistry:
    """The tools of one server, by toolset, from the groups it lists."""

    def __init__(self, toolsets: dict[str, str], groups: Iterable[ToolGroup], *, compact_schemas: bool = True) -> None:
        if DEFAULT not in toolsets:
            raise ValueError("a server must describe its default toolset")
        self.toolsets = dict(toolsets)  # name -> one-line description
        self.compact_schemas = compact_schemas
        self._tools: dict[str, ToolDef] = {}
        for group in groups:
            for tool in group.defs:
                if tool.toolset not in self.toolsets:
                    raise ValueError(f"tool {tool.name}: unknown toolset {tool.toolset!r}")
                if tool.name in self._tools:
                    raise ValueError(f"tool {tool.name} registered twice")
                self._tools[tool.name] = tool

    def scope_of(self, name: str) -> Scope | None:
        """The scope tool ``name`` needs, or None for a tool this registry does not have."""
        tool = self.get(name)
        return tool.scope if tool is not None else None

    def get(self, name: str) -> ToolDef | None:
        if name == HEALTH_NAME:
            from servers.app.health import HEALTH

            return HEALTH
        return self._tools.get(name)

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

    def build(self, selected: frozenset[str], extra: Iterable[ToolDef] = ()) -> list[Tool]:
        """The SDK tools of the selected toolsets (``extra`` first, e.g. ``health``)."""
        chosen = [*extra, *(t for t in self._tools.values() if t.toolset in selected)]
        return [t.build(compact_schemas=self.compact_schemas) for t in chosen]
