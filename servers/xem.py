"""xem-mcp: the XEM bridge; tools declared by enrolled execution agents become MCP tools."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Literal, NoReturn

from mcp.server.mcpserver import Context
from pydantic import BaseModel, Field, StringConstraints

from xem import services

from .app import ServerSpec, runtime_of
from .cli import run_server
from .toolsets import ToolRegistry

__all__ = ["SPEC", "AgentList", "list_agents", "main", "tools"]

tools = ToolRegistry({"default": "invoke tools on enrolled execution agents"})


class AgentSummary(BaseModel):
    name: str = Field(description="registration_name")
    state: Literal["online", "offline", "conflict_pill", "revoked"]
    key_fingerprints: list[str] = Field(description="active CURVE keys (two or more means a conflict_pill)")
    last_lease_at: datetime | None
    manifest_version: int | None
    in_flight: int = Field(description="invocations the agent reported running or unacknowledged")


class AgentList(BaseModel):
    items: list[AgentSummary]
    next_cursor: str | None = Field(description="pass as cursor for the next page; null at the end")


@tools.tool(title="List XEM agents", read_only=True, destructive=False, idempotent=True, open_world=False)
async def list_agents(
    ctx: Context,
    limit: Annotated[int, Field(ge=1, le=200)] = 20,
    cursor: Annotated[str, StringConstraints(max_length=64)] | None = None,
) -> AgentList:
    """List enrolled execution agents: state (online, offline, conflict_pill, revoked), last lease, manifest version.

    Read-only; use it to see which agents can run tools. Page with cursor. Errors: [unavailable].
    """
    rows = await services.list_agents(runtime_of(ctx).pool, limit=limit + 1, after=cursor)
    items = [AgentSummary(name=r.name, state=r.state, key_fingerprints=list(r.fingerprints),  # type: ignore[arg-type]
                          last_lease_at=r.last_lease_at, manifest_version=r.manifest_version, in_flight=r.in_flight)
             for r in rows[:limit]]
    return AgentList(items=items, next_cursor=items[-1].name if len(rows) > limit else None)

SPEC = ServerSpec(
    program="xem-mcp",
    name="xiopro-xem",
    title="XIOPro XEM bridge",
    database="bus",
    schema="xem",
    instructions=(
        "The XIOPro XEM bridge: tools that enrolled execution agents declare become MCP tools; "
        "calls are approved by policy and run on the agent. Errors start with [code]."
    ),
    tools=tools,
    default_port=8703,
)


def main(argv: Sequence[str] | None = None) -> NoReturn:
    run_server(SPEC, argv)


if __name__ == "__main__":
    main()
