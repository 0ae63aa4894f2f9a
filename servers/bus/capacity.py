"""Bus tools of host capacity: report_host_capacity (default); can_spawn and list_hosts (ops)."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context
from pydantic import Field, StringConstraints

from bus.domain.capacity import HostStatus, SpawnDecision
from bus.domain.names import HostId, NotBlank
from bus.services import capacity
from bus.services.capacity import HostList
from servers.app import ToolGroup
from servers.bus._context import services

__all__ = ["can_spawn", "list_hosts", "report_host_capacity"]

tools = ToolGroup()

Gigabytes = Annotated[float, Field(ge=0, le=1_000_000)]  # a petabyte of RAM is a typo, not a host
AgentGigabytes = Annotated[float, Field(ge=0.01, le=1_000_000)]  # 10 MB per agent at least: slots stay countable
Service = Annotated[str, StringConstraints(max_length=64), NotBlank]


@tools.tool(title="Report host capacity", read_only=False, destructive=False, idempotent=True, open_world=False)
async def report_host_capacity(
    ctx: Context,
    host_id: HostId,
    ram_gb: Annotated[float, Field(gt=0, le=1_000_000)],
    available_ram_gb: Gigabytes,
    ram_per_agent_gb: AgentGigabytes,
    active_agents: Annotated[int, Field(ge=0, le=100_000)],
    reserved_ram_gb: Gigabytes = 0.0,
    max_concurrent_agents: Annotated[int, Field(ge=0, le=100_000)] | None = None,
    active_services: Annotated[list[Service], Field(max_length=100)] = [],
    status: HostStatus = "online",
) -> SpawnDecision:
    """Record a host's RAM and agent count now (replaces its last report); answers can_spawn for it.

    reserved_ram_gb stays free for the OS. Report every few minutes.
    """
    return await capacity.report(
        services(ctx), host_id, ram_gb=ram_gb, available_ram_gb=available_ram_gb, ram_per_agent_gb=ram_per_agent_gb,
        active_agents=active_agents, reserved_ram_gb=reserved_ram_gb, max_concurrent_agents=max_concurrent_agents,
        active_services=active_services, status=status,
    )


@tools.tool("ops", title="Can an agent be spawned", read_only=True, destructive=False, idempotent=True, open_world=False)
async def can_spawn(ctx: Context, host_id: HostId) -> SpawnDecision:
    """Whether one more agent fits on the host now (free RAM above the reserve, agent cap, fresh report).

    Orchestrators call this before spawning. Errors: [not_found] (the host never reported).
    """
    return await capacity.can_spawn(services(ctx), host_id)


@tools.tool("ops", title="List hosts", read_only=True, destructive=False, idempotent=True, open_world=False)
async def list_hosts(
    ctx: Context, limit: Annotated[int, Field(ge=1, le=200)] = 20, cursor: HostId | None = None
) -> HostList:
    """Every host that reported capacity, with its spawn answer (slots, reason), by host id.

    Errors: [invalid_argument].
    """
    return await capacity.hosts(services(ctx), limit=limit, cursor=cursor)
