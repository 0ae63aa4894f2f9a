"""The Bus tool registry and the helpers every Bus tool module shares."""

from __future__ import annotations

from mcp.server.mcpserver import Context

from bus.services.container import BusServices
from servers.app import runtime_of
from servers.toolsets import ToolRegistry

__all__ = ["services", "tools"]

tools = ToolRegistry(
    {
        "default": "agent coordination: registry, messages, events, leases, todos, host capacity",
        "messages": "threads, read receipts and overdue acknowledgements",
        "events": "read the event log by topic and id range",
        "alerts": "raise, acknowledge, resolve and list alerts",
        "ops": "orchestrator reads: can_spawn, hosts, my_work, agents, leases, the attention scanner",
    }
)


def services(ctx: Context) -> BusServices:
    return runtime_of(ctx).services
