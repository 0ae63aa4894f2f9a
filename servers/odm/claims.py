"""odm-mcp Claims: next_task (default); claims toolset: renew_claims and release_claims (what bus-mcp calls)."""

from __future__ import annotations

from mcp.server.mcpserver import Context
from pydantic import BaseModel

from odm.domain.commands import (
    NextTask,
)
from odm.domain.execution_views import RuntimeHeartbeat
from odm.domain.types import (
    DEFAULT_LEASE_SECONDS,
    AgentId,
    LeaseSeconds,
    Ref,
)
from odm.domain.views import (
    NextTaskOut,
)
from odm.services import claims, runtimes
from odm.services import claims as claim_service
from servers.app import ToolGroup
from servers.odm._context import given, services

__all__ = ["heartbeat_runtime", "next_task", "renew_claims", "release_claims"]

tools = ToolGroup()
PLAN, CLAIMS = "planning", "claims"


class Claims(BaseModel):
    agent_id: str
    task_ids: list[str]


@tools.tool(title="Claim next task", read_only=False, destructive=False, idempotent=False, open_world=False)
async def next_task(ctx: Context, agent_id: AgentId, project_id: Ref | None = None,
                    lease_seconds: LeaseSeconds = DEFAULT_LEASE_SECONDS) -> NextTaskOut:
    """Claim the best ready task or renew yours; keep claim_token for writes, call again before the lease
    ends."""
    return await claim_service.next_task(services(ctx), NextTask(**given(
        agent_id=agent_id, project_id=project_id, lease_seconds=lease_seconds)))


@tools.tool(CLAIMS, title="Renew claims", read_only=False, destructive=False, idempotent=True, open_world=False)
async def renew_claims(ctx: Context, agent_id: AgentId, lease_seconds: LeaseSeconds | None = None) -> Claims:
    """Extend the leases of every live claim an agent holds (a heartbeat; bus-mcp calls it when the agent
    heartbeats with in_flight work). lease_seconds null = each claim by its own lease. Returns the renewed task ids."""
    renewed = await claims.renew_claims(services(ctx), agent_id, lease_seconds)
    return Claims(agent_id=agent_id, task_ids=[r["id"] for r in renewed])


@tools.tool(CLAIMS, title="Release claims", read_only=False, destructive=True, idempotent=True, open_world=False)
async def release_claims(ctx: Context, agent_id: AgentId) -> Claims:
    """Release every claim of an agent (e.g. it is gone): running tasks return to ready.ready for others."""
    return Claims(agent_id=agent_id, task_ids=await claims.release_claims(services(ctx), agent_id))


@tools.tool(CLAIMS, title="Heartbeat runtime", read_only=False, destructive=False, idempotent=True, open_world=False)
async def heartbeat_runtime(ctx: Context, agent_id: AgentId, renew_claims: bool = False,
                            lease_seconds: LeaseSeconds | None = None) -> RuntimeHeartbeat:
    """What bus-mcp calls on an agent's heartbeat: stamp its runtime's last_heartbeat_at (answering its health) and,
    with renew_claims, extend its claims as renew_claims does. Errors: [budget_exceeded] a claim is held for budget."""
    return await runtimes.heartbeat(services(ctx), agent_id, renew_claims, lease_seconds)
