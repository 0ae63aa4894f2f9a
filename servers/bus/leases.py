"""Bus tools of named leases: acquire_lease, release_lease (default) and get_lease (ops)."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context
from pydantic import Field

from bus.domain.leases import Lease, LeaseGrant, LeaseRelease
from bus.domain.names import AgentId, LeaseName
from bus.services import leases
from servers.app import ToolGroup
from servers.bus._context import services

__all__ = ["acquire_lease", "get_lease", "release_lease"]

tools = ToolGroup()


@tools.tool(title="Acquire lease", read_only=False, destructive=False, idempotent=False, open_world=False)
async def acquire_lease(
    ctx: Context,
    name: LeaseName,
    holder: AgentId,
    ttl_seconds: Annotated[int, Field(ge=1, le=86400)],
) -> LeaseGrant:
    """Take a named lease, or renew yours (same token). Tokens grow with every grant: pass yours to
    what the lease guards. Lease "go" elects the system master. Errors: [lease_held] (names holder, expiry).
    """
    return await leases.acquire(services(ctx), name, holder, float(ttl_seconds))


@tools.tool(title="Release lease", read_only=False, destructive=False, idempotent=True, open_world=False)
async def release_lease(
    ctx: Context,
    name: LeaseName,
    holder: AgentId,
    token: Annotated[int, Field(ge=1, description="the token acquire_lease gave you")],
) -> LeaseRelease:
    """Release your lease at once; needs its current token.

    Errors: [conflict] (stale token), [lease_held] (someone else has it), [not_found].
    """
    return await leases.release(services(ctx), name, holder, token)


@tools.tool("ops", title="Read a lease", read_only=True, destructive=False, idempotent=True, open_world=False)
async def get_lease(ctx: Context, name: LeaseName) -> Lease:
    """Who holds the named lease (e.g. go: the system master orchestrator), its token and expiry.

    Errors: [not_found].
    """
    return await leases.get(services(ctx), name)
