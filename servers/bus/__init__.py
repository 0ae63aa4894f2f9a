"""bus-mcp: agent registry, messages, events, leases, host capacity, alerts and the attention queue."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from bus.bootstrap import BusServices, open_services
from bus.settings import BusSettings
from servers.app import Runtime, ServerSpec, ToolRegistry
from servers.app.odm import odm_gateway_args
from servers.bus import agents, alerts, capacity, completions, events, leases, messages, ops, todos
from servers.bus.push import PgSubscriptionBus
from servers.bus.resources import register
from servers.runtime.settings import load

__all__ = ["SPEC", "TOOLSETS", "bus_services", "load_bus_settings", "tools"]

TOOLSETS = {
    "default": "agent coordination: registry, messages, events, leases, todos, host capacity",
    "messages": "threads, read receipts and overdue acknowledgements",
    "events": "read the event log by topic and id range",
    "alerts": "raise, acknowledge, resolve and list alerts",
    "ops": "orchestrator reads: can_spawn, hosts, my_work, agents, leases, the attention scanner",
}
tools = ToolRegistry(TOOLSETS, [m.tools for m in (agents, alerts, capacity, events, leases, messages, ops, todos)])


def load_bus_settings() -> BusSettings:
    """The Bus settings from the environment. Raises: StartupError naming the variable."""
    return load(BusSettings)


def bus_services(settings: BusSettings | None = None) -> Callable[[Runtime], AbstractAsyncContextManager[BusServices]]:
    """The ServerSpec ``services`` hook; ``settings`` defaults to the environment (read at start)."""

    @asynccontextmanager
    async def open_bus(runtime: Runtime) -> AsyncIterator[BusServices]:
        async with open_services(
            runtime.pool,
            runtime.target.dsn,
            settings if settings is not None else load_bus_settings(),
            **odm_gateway_args(runtime),
        ) as services:
            yield services

    return open_bus


SPEC = ServerSpec(
    program="bus-mcp",
    name="xiopro-bus",
    title="XIOPro Bus",
    database="bus",
    schema="public",
    instructions=(
        "The XIOPro Bus coordinates a team of agents: register_agent then heartbeat; messages between "
        "agents (subscribe to bus://inbox/{agent_id} for a push); named leases (go elects the master); "
        "events, host capacity, alerts and the human attention queue (todos). Errors start with [code]; "
        "bad arguments get [invalid_argument]. More tools: --toolsets messages,events,alerts,ops."
    ),
    tools=tools,
    default_port=8701,
    register=register,
    completions=completions.TABLE,
    services=bus_services(),
    subscriptions=lambda runtime: PgSubscriptionBus(runtime.services),
    # push never rides inside a tool call: legacy notices use the standalone GET stream and the
    # 2026-07-28 subscriptions/listen POST streams whatever this says
    json_response=True,
)

