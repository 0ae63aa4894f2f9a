"""odm-mcp Execution report (§14A, default toolset): execution_report, json, markdown or html.

The spec names an argument ``from``, a Python keyword: the function takes it through ``**window`` and its
advertised signature (``__signature__``, what the SDK builds the input schema and the call from) names it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mcp.server.mcpserver import Context

from odm.domain.report import Format, ReportOut, ReportQuery, Timeframe
from odm.domain.types import AgentId, Ref
from odm.services import report
from servers.app import ToolGroup
from servers.odm._context import given, services, with_keyword_argument

__all__ = ["execution_report"]

tools = ToolGroup()


async def _execution_report(ctx: Context, timeframe: Timeframe = "daily", to: datetime | None = None,
                            format: Format = "json", agent_id: AgentId | None = None, ticket_id: Ref | None = None,
                            **window: Any) -> ReportOut:
    """Work done, decisions, overrides, escalations, open items, cost/time (custom: from, to).
    Errors: [invalid_argument]."""
    return await report.execution_report(services(ctx), ReportQuery(**given(
        timeframe=timeframe, from_=window.get("from"), to=to, format=format, agent_id=agent_id, ticket_id=ticket_id)))


_execution_report.__name__ = _execution_report.__qualname__ = "execution_report"
execution_report = tools.tool(title="Execution report", read_only=True, destructive=False, idempotent=True,
                              open_world=False)(with_keyword_argument(_execution_report, "from", datetime | None,
                                                                      after="timeframe"))
