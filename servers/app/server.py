"""The MCPServer of a suite server, built from its spec and runtime with public SDK extension points only.

Tool failures read ``[code] message`` and never leak internals: a tool's own exceptions are mapped by
the registry's wrapper (``servers.app.registry``); what the SDK refuses before the tool runs (unknown
arguments, arguments that fail validation, an unknown tool) is shaped here by a ``tools/call``
interceptor, the SDK's ``Extension.intercept_tool_call``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from mcp.server import MCPServer
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.extension import Extension
from mcp.server.mcpserver.tools import Tool
from mcp_types import CallToolRequestParams, CallToolResult
from opentelemetry import trace
from pydantic import ValidationError

from servers.app import _sdk
from servers.app.auth import ScopeFilter, audit, principal_of, refusal
from servers.app.health import HEALTH
from servers.app.registry import ToolRegistry, error_result
from servers.app.spec import Runtime, ServerSpec
from servers.kernel.errors import format_validation_error
from servers.kernel.version import VERSION

__all__ = ["SuiteServer", "build_server"]


class SuiteServer(MCPServer[Runtime]):
    """An MCPServer that knows the runtime it serves (static resources get no Context to find it)."""

    runtime: Runtime | None = None  # set by build_server


class ToolCallShaping(Extension):
    """``[invalid_argument]``/``[not_found]`` texts for the calls the SDK refuses before a tool runs."""

    identifier = "io.xiopro/tool-errors"

    def __init__(self, server_name: str, tools: list[Tool], registry: ToolRegistry) -> None:
        self._server_name = server_name
        self._registry = registry
        self._tools = {t.name: t for t in tools}
        self._accepted = {t.name: frozenset(t.parameters.get("properties", {})) for t in tools}

    async def intercept_tool_call(self, params: CallToolRequestParams, ctx: ServerRequestContext[Any, Any],
                                  call_next: CallNext) -> HandlerResult:
        tool = self._tools.get(params.name)
        if tool is None:
            return error_result(
                f"[not_found] no tool named {params.name!r} on {self._server_name}; call tools/list for the tools offered "
                "(more come with the server's --toolsets option)"
            )
        arguments = params.arguments or {}
        extra = sorted(set(arguments) - self._accepted[params.name])
        if extra:  # a misspelt argument would otherwise be dropped silently and the call run with a default
            accepted = sorted(self._accepted[params.name])
            return error_result(
                f"[invalid_argument] {params.name}: {', '.join(extra)} "
                f"{'is not an argument' if len(extra) == 1 else 'are not arguments'} of this tool "
                f"(it takes: {', '.join(accepted) or 'no arguments'}); fix the arguments and call again"
            )
        definition = self._registry.get(params.name)
        scope = definition.scope_for(arguments) if definition is not None else "read"
        principal = principal_of(ctx)
        refused = refusal(principal, params.name, scope)
        if refused is not None:
            await audit(ctx.lifespan_context, principal, f"tools/call {params.name}", "forbidden", detail={"needs": scope})
            return error_result(refused)
        nul = _first_nul(arguments)
        if nul is not None:  # PostgreSQL text cannot hold U+0000: refuse it by name rather than fail later
            return error_result(
                f"[invalid_argument] {params.name}: {nul}: must not contain NUL characters (\\u0000); "
                "remove them and call again"
            )
        result = await call_next(ctx)
        if scope == "management":  # who did what, when (never the key, never argument values)
            failed = isinstance(result, CallToolResult) and result.is_error
            await audit(ctx.lifespan_context, principal, f"tools/call {params.name}", "error" if failed else "ok",
                        detail={"arguments": sorted(arguments)})
        if isinstance(result, CallToolResult) and result.is_error and _sdk_refused(result):
            try:  # the failure path only: validate again to name the arguments the SDK refused
                tool.fn_metadata.validate_arguments(arguments)
            except ValidationError as exc:
                return error_result(f"[invalid_argument] {params.name}: {format_validation_error(exc)}")
        return result


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


def _sdk_refused(result: CallToolResult) -> bool:
    """A tool error the SDK wrote itself (ours always start with ``[code]``)."""
    text = getattr(result.content[0], "text", "") if result.content else ""
    return not text.startswith("[")


def _tracing_configured() -> bool:
    """Whether an OpenTelemetry SDK tracer provider is installed (e.g. by ``opentelemetry-instrument``)."""
    return not isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider)


def build_server(spec: ServerSpec, runtime: Runtime, toolsets: frozenset[str], *,
                 auth: dict[str, Any] | None = None) -> SuiteServer:
    """The MCPServer for ``spec`` serving ``runtime``, with the selected toolsets installed; ``auth`` is what
    ``HttpSecurity.server_options()`` gives for streamable HTTP with keys."""

    @asynccontextmanager
    async def lifespan(_: MCPServer[Runtime]) -> AsyncIterator[Runtime]:
        yield runtime

    tools = spec.tools.build(toolsets, extra=[HEALTH])
    server = SuiteServer(
        spec.name,
        title=spec.title,
        instructions=spec.instructions,
        version=VERSION,
        lifespan=lifespan,
        log_level=runtime.settings.log_level,  # type: ignore[arg-type]
        subscriptions=spec.subscriptions(runtime) if spec.subscriptions is not None else None,
        tools=tools,
        extensions=[ToolCallShaping(spec.name, tools, spec.tools)],
        middleware=[ScopeFilter(spec.tools.scope_of)],
        **(auth or {}),
    )
    server.runtime = runtime
    if not _tracing_configured():
        _sdk.drop_span_middleware(server)
    if spec.register is not None:
        spec.register(server)
    return server
