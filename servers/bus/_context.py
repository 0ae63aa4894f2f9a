"""What every Bus adapter module reaches through the MCP ``Context``: the Bus services of this process."""

from __future__ import annotations

from mcp.server.mcpserver import Context

from bus.services import BusServices
from servers.app import runtime_of

__all__ = ["services"]


def services(ctx: Context) -> BusServices:
    return runtime_of(ctx).services
