"""MCP logging for long tools: ``logging/setLevel`` in the initialize/session era, and ``tool_log`` for a tool
that wants to tell the client how far it got.

The 2026-07-28 era deprecates the logging capability (SEP-2577): there a client opts in per request (the
``_meta`` log level) and the SDK drops what it did not ask for, which is what ``Context.log`` does; the
session era's ``logging/setLevel`` sets the floor for the whole connection (default ``info``).
"""

from __future__ import annotations

import warnings
from typing import Any

from mcp.server.context import ServerRequestContext
from mcp.server.mcpserver import Context, MCPServer
from mcp_types import EmptyResult, LoggingLevel, SetLevelRequestParams

from servers.app import _sdk

__all__ = ["install_logging", "tool_log"]

_ORDER = ("debug", "info", "notice", "warning", "error", "critical", "alert", "emergency")
_STATE = "xiopro_log_level"


def install_logging(server: MCPServer[Any]) -> None:
    """Serve ``logging/setLevel`` (and so advertise the logging capability in the session era)."""

    async def set_level(ctx: ServerRequestContext[Any, Any], params: SetLevelRequestParams) -> EmptyResult:
        state = getattr(_sdk.connection_of(ctx.session), "state", None)
        if isinstance(state, dict):
            state[_STATE] = params.level
        return EmptyResult()

    _sdk.add_request_handler(server, "logging/setLevel", SetLevelRequestParams, set_level)


async def tool_log(ctx: Context, level: LoggingLevel, message: str) -> None:
    """Send ``message`` to the client of this tool call if its level is at or above the connection's floor;
    never fails the tool (a client that went away simply gets nothing)."""
    state = getattr(_sdk.connection_of(ctx.request_context.session), "state", None)
    floor = state.get(_STATE, "info") if isinstance(state, dict) else "info"
    if _ORDER.index(level) < _ORDER.index(floor):
        return
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the SDK marks logging deprecated for the 2026-07-28 era
            runtime = ctx.request_context.lifespan_context
            await ctx.log(level, message, logger_name=getattr(getattr(runtime, "spec", None), "program", None))
    except Exception:
        return
