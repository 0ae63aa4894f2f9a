"""The checks every ``tools/call`` and ``prompts/get`` goes through before the SDK runs it (SDK middleware,
the public ``MCPServer(middleware=...)`` seam), and the shaping of what the SDK refuses itself.

* an unknown tool or prompt is a JSON-RPC invalid-params error (-32602), as the MCP specification lists it;
* unknown argument names, NUL characters, and a key without the tool's scope are ``[code]`` tool errors
  (a model can fix those), the latter audited;
* management calls are audited after they ran;
* an argument-validation failure of the SDK is rewritten as ``[invalid_argument] <tool>: <field>: …``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.mcpserver.tools import Tool
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS, CallToolResult
from pydantic import ValidationError

from servers.app.auth import audit, principal_of, refusal
from servers.app.dynamic import DynamicTool, ToolSource
from servers.app.registry import Scope, ToolRegistry, error_result
from servers.kernel.errors import format_validation_error

__all__ = ["PromptNames", "ToolCalls"]


class ToolCalls:
    """SDK middleware for ``tools/call``."""

    def __init__(self, server_name: str, tools: list[Tool], registry: ToolRegistry, source: ToolSource | None = None) -> None:
        self._server_name = server_name
        self._registry = registry
        self._tools = {t.name: t for t in tools}
        self._accepted = {t.name: frozenset(t.parameters.get("properties", {})) for t in tools}
        self._source = source  # dynamic tools (xem-mcp's per-agent tools): read as they are at each call

    def _dynamic(self, name: str) -> DynamicTool | None:
        return self._source.current().get(name) if self._source is not None else None

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        if ctx.method != "tools/call" or not isinstance(ctx.params, Mapping) or not isinstance(ctx.params.get("name"), str):
            return await call_next(ctx)
        name: str = ctx.params["name"]
        arguments = ctx.params.get("arguments") or {}
        tool = self._tools.get(name)
        dynamic = self._dynamic(name) if tool is None else None
        accepted = self._accepted[name] if tool is not None else (dynamic.accepted if dynamic is not None else None)
        if accepted is None:
            raise MCPError(INVALID_PARAMS, f"no tool named {name!r} on {self._server_name}; call tools/list for the tools "
                                           "offered (more come with the server's --toolsets option)")
        if not isinstance(arguments, Mapping):
            return await call_next(ctx)
        extra = sorted(set(arguments) - accepted)
        if extra:  # a misspelt argument would otherwise be dropped silently and the call run with a default
            return error_result(
                f"[invalid_argument] {name}: {', '.join(extra)} "
                f"{'is not an argument' if len(extra) == 1 else 'are not arguments'} of this tool "
                f"(it takes: {', '.join(sorted(accepted)) or 'no arguments'}); fix the arguments and call again"
            )
        definition = self._registry.get(name)
        scope: Scope = (dynamic.scope if dynamic is not None
                        else definition.scope_for(dict(arguments)) if definition is not None else "read")
        principal = principal_of(ctx)
        refused = refusal(principal, name, scope)
        if refused is not None:
            await audit(ctx.lifespan_context, principal, f"tools/call {name}", "forbidden", detail={"needs": scope})
            return error_result(refused)
        nul = _first_nul(arguments)
        if nul is not None:  # PostgreSQL text cannot hold U+0000: refuse it by name rather than fail later
            return error_result(f"[invalid_argument] {name}: {nul}: must not contain NUL characters (\\u0000); "
                                "remove them and call again")
        result = await call_next(ctx)
        failed = _is_error(result)
        if scope == "management":  # who did what, when (never the key, never argument values)
            await audit(ctx.lifespan_context, principal, f"tools/call {name}", "error" if failed else "ok",
                        detail={"arguments": sorted(arguments)})
        if tool is not None and failed and not _error_text(result).startswith("["):  # written by the SDK: its argument validation
            try:  # the failure path only: validate again to name the arguments the SDK refused
                tool.fn_metadata.validate_arguments(dict(arguments))
            except ValidationError as exc:
                return error_result(f"[invalid_argument] {name}: {format_validation_error(exc)}")
        return result


class PromptNames:
    """SDK middleware: ``prompts/get`` of an unknown prompt is invalid params (-32602) in both eras."""

    def __init__(self, names: Callable[[], Awaitable[set[str]]]) -> None:
        self._names = names

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        if ctx.method == "prompts/get" and isinstance(ctx.params, Mapping):
            name = ctx.params.get("name")
            known = await self._names()
            if isinstance(name, str) and name not in known:
                raise MCPError(INVALID_PARAMS, f"no prompt named {name!r}; call prompts/list for the prompts offered "
                                               f"({', '.join(sorted(known)) or 'none'})")
        return await call_next(ctx)


def _is_error(result: HandlerResult) -> bool:
    if isinstance(result, CallToolResult):
        return result.is_error
    return isinstance(result, dict) and bool(result.get("isError"))


def _error_text(result: HandlerResult) -> str:
    if isinstance(result, CallToolResult):
        return getattr(result.content[0], "text", "") if result.content else ""
    content = result.get("content") if isinstance(result, dict) else None
    return str(content[0].get("text", "")) if isinstance(content, list) and content and isinstance(content[0], dict) else ""


def _first_nul(value: Any, path: str = "") -> str | None:
    """The path (``a.b[2]``) of the first string, key or value, holding U+0000, or None."""
    if isinstance(value, str):
        return (path or "arguments") if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if "\x00" in str(key):
                return where.replace("\x00", "\\u0000")
            found = _first_nul(item, where)
            if found is not None:
                return found
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found = _first_nul(item, f"{path}[{i}]")
            if found is not None:
                return found
    return None
