"""xem-mcp tools about the enrolled execution agents: list_agents (default toolset)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from mcp.server.mcpserver import Context
from pydantic import BaseModel, Field, StringConstraints

from servers.app import ToolGroup, runtime_of
from servers.kernel.cursors import decode_cursor, encode_cursor
from xem import services
from xem.domain.invocations import mcp_tool_name

__all__ = ["AgentList", "AgentSummary", "list_agents", "tools"]

tools = ToolGroup()


class AgentSummary(BaseModel):
    name: str = Field(description="registration_name")
    state: Literal["online", "offline", "conflict_pill", "revoked"]
    key_fingerprints: list[str] = Field(description="active CURVE keys (two or more means a conflict_pill)")
    last_lease_at: datetime | None
    manifest_version: int | None
    in_flight: int = Field(description="invocations the agent reported running or unacknowledged")
    tools: list[str] = Field(description="tools its manifest declares, as MCP names '<workspace>__<tool> (risk)'")


class AgentList(BaseModel):
    items: list[AgentSummary]
    next_cursor: str | None = Field(description="pass as cursor for the next page; null at the end")


@tools.tool(title="List XEM agents", read_only=True, destructive=False, idempotent=True, open_world=False)
async def list_agents(
    ctx: Context,
    limit: Annotated[int, Field(ge=1, le=200)] = 20,
    cursor: Annotated[str, StringConstraints(max_length=64)] | None = None,
) -> AgentList:
    """List enrolled execution agents: state (online, offline, conflict_pill, revoked), last lease, declared tools.

    Read-only; use it to see which agents can run tools. Page with cursor. Errors: [unavailable].
    """
    key = decode_cursor(cursor, str)
    rows = await services.list_agents(runtime_of(ctx).services, limit=limit + 1, after=key[0] if key else None)
    items = [AgentSummary(name=r.name, state=r.state, key_fingerprints=list(r.fingerprints),
                          last_lease_at=r.last_lease_at, manifest_version=r.manifest_version, in_flight=r.in_flight,
                          tools=[f"{mcp_tool_name(ws, tool) or ws + '/' + tool} ({risk})" for ws, tool, risk in r.tools])
             for r in rows[:limit]]
    return AgentList(items=items, next_cursor=encode_cursor(items[-1].name) if len(rows) > limit else None)
