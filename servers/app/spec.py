"""What a server is (``ServerSpec``) and what it runs on (``Runtime``: settings, database, pool, services)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

import asyncpg
from mcp.server.mcpserver import Context
from mcp.server.subscriptions import SubscriptionBus

from servers.app.completions import Completer, CompletionKey
from servers.app.dynamic import ListChanged, ToolSource
from servers.app.registry import ToolRegistry
from servers.runtime.database import Target, database_target, open_pool, prepare_database
from servers.runtime.migrations import MigrationStatus
from servers.runtime.settings import SuiteSettings

if TYPE_CHECKING:
    from servers.app.server import SuiteServer

__all__ = ["Runtime", "ServerSpec", "open_runtime", "runtime_of"]


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
    # argument completers of resource templates and prompts (completion/complete is served either way)
    completions: Mapping[CompletionKey, Completer] = field(default_factory=dict)
    services: Callable[[Runtime], AbstractAsyncContextManager[Any]] | None = None
    # the MCP SubscriptionBus (push fan-out) of a server built on ``runtime``; None = in-process default
    subscriptions: Callable[[Runtime], SubscriptionBus] | None = None
    # answer streamable-HTTP POSTs with a plain JSON body instead of an SSE stream (cheaper per call);
    # only for servers that never stream progress or notifications inside a tool call
    json_response: bool = False
    # tools that change while the server runs (servers.app.dynamic): built once per server, given the ListChanged
    # that tells its clients; None = the registry's static tools only
    tool_source: Callable[[Runtime, frozenset[str], ListChanged], ToolSource] | None = None
    # prompts that change while the server runs (xem-mcp's chat templates): prompts.listChanged is advertised and
    # ``register`` tells clients through ``SuiteServer.list_changed`` (needs a tool_source)
    dynamic_prompts: bool = False


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
    """The runtime a tool call runs on."""
    return cast(Runtime, ctx.request_context.lifespan_context)


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
