"""The MCPServer of a suite server, built from its spec and runtime with public SDK extension points (and the
few private ones in ``servers.app._sdk``).

Tool failures read ``[code] message`` and never leak internals: a tool's own exceptions are mapped by
the registry's wrapper (``servers.app.registry``); what the SDK refuses before the tool runs is shaped by
the ``tools/call`` middleware (``servers.app.calls``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from mcp.server import MCPServer
from mcp.server.subscriptions import InMemorySubscriptionBus
from mcp.shared.exceptions import MCPError
from mcp_types import Tool as MCPTool
from opentelemetry import trace

from servers.app import _sdk
from servers.app.auth import ScopeFilter
from servers.app.calls import PromptNames, ToolCalls
from servers.app.completions import install_completions
from servers.app.dynamic import DynamicTool, ListChanged, ToolSource
from servers.app.health import HEALTH
from servers.app.logs import install_logging
from servers.app.registry import Scope, ToolRegistry, error_result
from servers.app.spec import Runtime, ServerSpec
from servers.kernel.errors import describe_exception
from servers.kernel.version import VERSION

__all__ = ["SuiteServer", "build_server"]


class SuiteServer(MCPServer[Runtime]):
    """An MCPServer that knows the runtime it serves (static resources get no Context to find it), and lists
    and calls the tools of its ``tool_source`` (if any) beside its static ones."""

    runtime: Runtime | None = None  # set by build_server
    tool_source: ToolSource | None = None
    registry: ToolRegistry | None = None
    list_changed: ListChanged | None = None  # tells clients the tool (or prompt) list changed; set with a tool_source

    def dynamic_tool(self, name: str) -> DynamicTool | None:
        return None if self.tool_source is None else self.tool_source.current().get(name)

    def scope_of(self, name: str) -> Scope | None:
        """The API-key scope tool ``name`` needs (static or dynamic), or None for a tool this server lacks."""
        dynamic = self.dynamic_tool(name)
        if dynamic is not None:
            return dynamic.scope
        return self.registry.scope_of(name) if self.registry is not None else None

    async def list_tools(self) -> list[MCPTool]:
        static = await super().list_tools()
        if self.tool_source is None:
            return static
        return [*static, *(d.tool for d in self.tool_source.current().values())]

    async def call_tool(self, name: str, arguments: dict[str, Any], context: Any = None) -> Any:
        dynamic = self.dynamic_tool(name)
        if dynamic is None:
            return await super().call_tool(name, arguments, context)
        try:
            return await dynamic.call(arguments, context)
        except MCPError:
            raise
        except Exception as exc:  # the tool boundary, as for static tools (registry.ToolDef.build)
            return error_result(describe_exception(exc, action=f"tool {name}"))


async def _prompt_names(server: MCPServer[Any]) -> set[str]:
    return {p.name for p in await server.list_prompts()}


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
    # no subscriptions/listen where nothing is pushed: the 2026-07-28 capabilities then say so
    subscriptions: Any = spec.subscriptions(runtime) if spec.subscriptions is not None else False
    source, notifier = None, None
    if spec.tool_source is not None:  # a tool list that changes: listChanged in both eras
        subscriptions = subscriptions or InMemorySubscriptionBus()
        notifier = ListChanged(subscriptions)
        source = spec.tool_source(runtime, toolsets, notifier)

    def scope_of(name: str) -> Scope | None:
        dynamic = source.current().get(name) if source is not None else None
        return dynamic.scope if dynamic is not None else spec.tools.scope_of(name)

    server = SuiteServer(
        spec.name,
        title=spec.title,
        instructions=spec.instructions,
        version=VERSION,
        lifespan=lifespan,
        log_level=runtime.settings.log_level,  # type: ignore[arg-type]
        subscriptions=subscriptions,
        tools=tools,
        middleware=[ToolCalls(spec.name, tools, spec.tools, source), PromptNames(lambda: _prompt_names(server)),
                    ScopeFilter(scope_of)],
        **(auth or {}),
    )
    server.runtime = runtime
    server.registry = spec.tools
    if source is not None and notifier is not None:
        server.tool_source = source
        server.list_changed = notifier
        server.middleware.append(notifier)
        _sdk.advertise_tools_list_changed(server, prompts=spec.dynamic_prompts)
    if not _tracing_configured():
        _sdk.drop_span_middleware(server)
    install_logging(server)
    install_completions(server, spec.completions)
    if spec.register is not None:
        spec.register(server)
    return server
