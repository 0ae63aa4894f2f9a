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
from opentelemetry import trace

from servers.app import _sdk
from servers.app.auth import ScopeFilter
from servers.app.calls import PromptNames, ToolCalls
from servers.app.completions import install_completions
from servers.app.health import HEALTH
from servers.app.logs import install_logging
from servers.app.spec import Runtime, ServerSpec
from servers.kernel.version import VERSION

__all__ = ["SuiteServer", "build_server"]


class SuiteServer(MCPServer[Runtime]):
    """An MCPServer that knows the runtime it serves (static resources get no Context to find it)."""

    runtime: Runtime | None = None  # set by build_server


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
    server = SuiteServer(
        spec.name,
        title=spec.title,
        instructions=spec.instructions,
        version=VERSION,
        lifespan=lifespan,
        log_level=runtime.settings.log_level,  # type: ignore[arg-type]
        # no subscriptions/listen where nothing is pushed: the 2026-07-28 capabilities then say so
        subscriptions=spec.subscriptions(runtime) if spec.subscriptions is not None else False,
        tools=tools,
        middleware=[ToolCalls(spec.name, tools, spec.tools), PromptNames(lambda: _prompt_names(server)),
                    ScopeFilter(spec.tools.scope_of)],
        **(auth or {}),
    )
    server.runtime = runtime
    if not _tracing_configured():
        _sdk.drop_span_middleware(server)
    install_logging(server)
    install_completions(server, spec.completions)
    if spec.register is not None:
        spec.register(server)
    return server
