"""Bus tools of the agent registry: register_agent, heartbeat (default) and list_agents (ops)."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context
from pydantic import BaseModel, Field, StringConstraints

from bus.domain.agents import Agent, AgentStatus, ReportedStatus
from bus.domain.names import AgentId, HostId, NotBlank, Role
from bus.services import agents
from bus.services.agents import HeartbeatAnswer, Liveness
from servers.app import ToolGroup
from servers.bus._context import services
from servers.kernel.cursors import decode_cursor, encode_cursor

__all__ = ["AgentList", "heartbeat", "list_agents", "register_agent"]

tools = ToolGroup()

Capability = Annotated[str, StringConstraints(max_length=64), NotBlank]
WorkItem = Annotated[str, StringConstraints(max_length=128), NotBlank]
RegistrationName = Annotated[str, StringConstraints(max_length=128), NotBlank]


@tools.tool(title="Register agent", read_only=False, destructive=False, idempotent=True, open_world=False)
async def register_agent(
    ctx: Context,
    agent_id: AgentId,
    role: Role,
    registration_name: RegistrationName | None = None,
    host_id: HostId | None = None,
    capabilities: Annotated[list[Capability], Field(max_length=100)] = [],
) -> Liveness:
    """Register (or re-register) an agent: online from now on; heartbeat to stay so. Call at start-up.
    """
    return await agents.register(services(ctx), agent_id, role, registration_name, host_id, capabilities)


@tools.tool(title="Heartbeat", read_only=False, destructive=False, idempotent=True, open_world=False)
async def heartbeat(
    ctx: Context,
    agent_id: AgentId,
    status: ReportedStatus = "online",
    in_flight: Annotated[list[WorkItem], Field(max_length=100)] = [],
    note: Annotated[str, StringConstraints(max_length=1000)] | None = None,
) -> HeartbeatAnswer:
    """Say you are alive (in_flight: ids of work in progress; with any, your ODM task claims are renewed too);
    silence makes you stale, then offline.

    status="error" (with a note) when you cannot work: a human gets a todo; status="offline" when you stop:
    your ODM claims go back to ready. Errors: [not_found].
    """
    return await agents.heartbeat(services(ctx), agent_id, status, in_flight, note)


class AgentSummary(BaseModel):
    id: str
    role: str
    status: AgentStatus
    host_id: str | None
    last_heartbeat_at: str


class AgentList(BaseModel):
    items: list[AgentSummary]
    next_cursor: str | None = Field(description="pass as cursor for the next page; null at the end")


@tools.tool("ops", title="List agents", read_only=True, destructive=False, idempotent=True, open_world=False)
async def list_agents(
    ctx: Context,
    role: Role | None = None,
    status: AgentStatus | None = None,
    limit: Annotated[int, Field(ge=1, le=200)] = 20,
    cursor: Annotated[str, Field(max_length=400)] | None = None,
) -> AgentList:
    """List registered agents with their liveness (online, stale, offline, error), by id.

    Errors: [invalid_argument].
    """
    items: list[AgentSummary] = []
    key = decode_cursor(cursor, str)
    after = key[0] if key else None
    while True:
        page = await agents.list_agents(services(ctx), role=role, after_id=after, limit=200)
        for index, agent in enumerate(page):
            if status is None or agent.status == status:
                items.append(_summary(agent))
                if len(items) == limit:
                    more = index < len(page) - 1 or len(page) == 200
                    return AgentList(items=items, next_cursor=encode_cursor(agent.id) if more else None)
        if len(page) < 200:
            return AgentList(items=items, next_cursor=None)
        after = page[-1].id

def _summary(agent: Agent) -> AgentSummary:
    return AgentSummary(
        id=agent.id,
        role=agent.role,
        status=agent.status,
        host_id=agent.host_id,
        last_heartbeat_at=agent.last_heartbeat_at.isoformat(),
    )
