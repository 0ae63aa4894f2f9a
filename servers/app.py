"""Composition root of a server: its spec, its runtime (database, pool, services) and the MCPServer."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError, UnexpectedToolError
from mcp.server.subscriptions import SubscriptionBus
from mcp.shared.exceptions import MCPError
from mcp_types import CallToolRequestParams, CallToolResult, TextContent
from opentelemetry import trace
from pydantic import ValidationError

from ._version import VERSION
from .database import Target, database_target, open_pool, prepare_database
from .errors import describe_exception, format_validation_error
from .health import install_health
from .migrations import MigrationStatus
from .settings import SuiteSettings
from .toolsets import ToolRegistry

__all__ = ["Runtime", "ServerSpec", "SuiteServer", "build_server", "open_runtime", "runtime_of"]


@dataclass(frozen=True)
class ServerSpec:
    """What distinguishes bus-mcp, odm-mcp and xem-mcp; everything else is shared plumbing."""

    program: str  # console script, e.g. "odm-mcp"
    name: str  # MCP server name, e.g. "xiopro-odm"
    title: str
    database: str  # logical database it owns and migrates: "bus" or "odm"
    schema: str  # schema its tables live in ("public", or "xem" in the bus database)
    instructions: str
    tools: ToolRegistry
    default_port: int
    register: Callable[[SuiteServer], None] | None = None  # resources and prompts
    services: Callable[[Runtime], AbstractAsyncContextManager[Any]] | None = None
    # the MCP SubscriptionBus (push fan-out) of a server built on ``runtime``; None = in-process default
    subscriptions: Callable[[Runtime], SubscriptionBus] | None = None
    # answer streamable-HTTP POSTs with a plain JSON body instead of an SSE stream (cheaper per call);
    # only for servers that never stream progress or notifications inside a tool call
    json_response: bool = False


@dataclass
class Runtime:
    """Everything a tool reaches through ``ctx``: settings, the database and the package services."""

    spec: ServerSpec
    settings: SuiteSettings
    target: Target
    pool: asyncpg.Pool
    migration: MigrationStatus
    services: Any = field(default=None)


def runtime_of(ctx: Context) -> Runtime:
    return ctx.request_context.lifespan_context


@asynccontextmanager
async def open_runtime(spec: ServerSpec, settings: SuiteSettings) -> AsyncIterator[Runtime]:
    """Find (or start) the database, migrate it, open the pool and the services; undo all on exit.

    Raises:
        StartupError: any of those steps failed; the message says how to fix it.
    """
    async with database_target(settings, spec.database) as target:
        migration = await prepare_database(target)
        pool = await open_pool(target)
        try:
            runtime = Runtime(spec, settings, target, pool, migration)
            if spec.services is None:
                yield runtime
            else:
                async with spec.services(runtime) as services:
                    runtime.services = services
                    yield runtime
        finally:
            await pool.close()


class SuiteServer(MCPServer[Runtime]):
    """MCPServer whose failed tool calls read ``[code] message`` and never leak internals.

    The SDK prefixes every tool failure with ``Error executing tool <name>:`` and words
    argument errors as pydantic dumps; this override maps the original exception
    (``__cause__``) through ``describe_exception`` instead.
    """

    runtime: Runtime | None = None  # set by build_server

    async def _handle_call_tool(self, ctx: Any, params: CallToolRequestParams) -> Any:
        context = Context(request_context=ctx, mcp_server=self, input_params=params, subscriptions=self._subscriptions)
        unknown = self._unknown_arguments(params)
        if unknown:
            return CallToolResult(content=[TextContent(type="text", text=unknown)], is_error=True)
        try:
            return await self.call_tool(params.name, params.arguments or {}, context)
        except MCPError:
            raise
        except Exception as exc:
            return CallToolResult(content=[TextContent(type="text", text=_tool_error_text(self, params, exc))], is_error=True)


    def _unknown_arguments(self, params: CallToolRequestParams) -> str | None:
        """A misspelt argument would otherwise be dropped silently and the call run with a default."""
        tool = self._tool_manager.get_tool(params.name)
        if tool is None or not params.arguments:
            return None
        accepted = set(tool.parameters.get("properties", {}))
        extra = sorted(set(params.arguments) - accepted)
        if not extra:
            return None
        return (
            f"[invalid_argument] {params.name}: {', '.join(extra)} "
            f"{'is not an argument' if len(extra) == 1 else 'are not arguments'} of this tool "
            f"(it takes: {', '.join(sorted(accepted)) or 'no arguments'}); fix the arguments and call again"
        )


def _tool_error_text(server: SuiteServer, params: CallToolRequestParams, exc: Exception) -> str:
    cause = exc.__cause__ if isinstance(exc, ToolError) else exc
    if isinstance(exc, ToolError) and not isinstance(exc, UnexpectedToolError):
        if cause is None:  # raised by the SDK itself: the only such case is an unknown tool name
            return (
                f"[not_found] no tool named {params.name!r} on {server.name}; call tools/list for the tools offered "
                "(more come with the server's --toolsets option)"
            )
        if isinstance(cause, ValidationError):
            return f"[invalid_argument] {params.name}: {format_validation_error(cause)}"
    return describe_exception(cause if cause is not None else exc, action=f"tool {params.name}")


def _drop_span_middleware(server: SuiteServer) -> None:
    """Leave out the SDK's span-per-request middleware, which only costs CPU until an OpenTelemetry SDK
    is set up (~5% of a tool call; the SDK documents removing it from this list as the opt-out)."""
    try:
        from mcp.server._otel import OpenTelemetryMiddleware
    except ImportError:  # moved in a later SDK: keep what the SDK installs
        return
    chain = server._lowlevel_server.middleware  # noqa: SLF001 - MCPServer offers no other handle on it
    chain[:] = [m for m in chain if not isinstance(m, OpenTelemetryMiddleware)]


def _tracing_configured() -> bool:
    """Whether an OpenTelemetry SDK tracer provider is installed (e.g. by ``opentelemetry-instrument``)."""
    return not isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider)


def build_server(spec: ServerSpec, runtime: Runtime, toolsets: frozenset[str]) -> SuiteServer:
    """The MCPServer for ``spec`` serving ``runtime``, with the selected toolsets installed."""

    @asynccontextmanager
    async def lifespan(_: MCPServer[Runtime]) -> AsyncIterator[Runtime]:
        yield runtime

    server = SuiteServer(
        spec.name,
        title=spec.title,
        instructions=spec.instructions,
        version=VERSION,
        lifespan=lifespan,
        log_level=runtime.settings.log_level,  # type: ignore[arg-type]
        subscriptions=spec.subscriptions(runtime) if spec.subscriptions is not None else None,
    )
    server.runtime = runtime  # for static resources, which get no Context
    if not _tracing_configured():
        _drop_span_middleware(server)
    install_health(server)
    spec.tools.install(server, toolsets)
    if spec.register is not None:
        spec.register(server)
    return server
