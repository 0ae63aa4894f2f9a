"""Use cases of host capacity: report it, ask whether an agent can be spawned, list hosts."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg
from pydantic import BaseModel

from bus.domain.capacity import HostCapacity, SpawnDecision, decide_spawn
from bus.errors import InvalidArgument, NotFound
from bus.services._work import BusServices, Work, read_only, transactional
from bus.settings import BusSettings
from servers.kernel.cursors import decode_cursor, encode_cursor

__all__ = ["HostList", "can_spawn", "hosts", "report"]


class HostList(BaseModel):
    items: list[SpawnDecision]
    next_cursor: str | None


def _decide(settings: BusSettings, row: asyncpg.Record) -> SpawnDecision:
    capacity = HostCapacity(**{k: row[k] for k in HostCapacity.model_fields})
    return decide_spawn(capacity, row["now"], stale_after_s=settings.capacity_stale_after_s)


async def report(
    services: BusServices,
    host_id: str,
    *,
    ram_gb: float,
    available_ram_gb: float,
    ram_per_agent_gb: float,
    active_agents: int,
    reserved_ram_gb: float = 0.0,
    max_concurrent_agents: int | None = None,
    active_services: Sequence[str] = (),
    status: str = "online",
) -> SpawnDecision:
    """Record the report; answers what can_spawn now says for the host.

    Raises:
        InvalidArgument: numbers that contradict each other.
    """
    if available_ram_gb > ram_gb:
        raise InvalidArgument(f"available_ram_gb {available_ram_gb:g} exceeds ram_gb {ram_gb:g}; report the free RAM")
    if reserved_ram_gb > ram_gb:
        raise InvalidArgument(f"reserved_ram_gb {reserved_ram_gb:g} exceeds ram_gb {ram_gb:g}")
    if ram_per_agent_gb > ram_gb:
        raise InvalidArgument(f"ram_per_agent_gb {ram_per_agent_gb:g} exceeds ram_gb {ram_gb:g}")
    return await _record(services, host_id, ram_gb, available_ram_gb, reserved_ram_gb, ram_per_agent_gb,
                         max_concurrent_agents, active_agents, active_services, status)


@transactional
async def _record(
    work: Work, host_id: str, ram_gb: float, available_ram_gb: float, reserved_ram_gb: float, ram_per_agent_gb: float,
    max_concurrent_agents: int | None, active_agents: int, active_services: Sequence[str], status: str,
) -> SpawnDecision:
    row = await work.capacity.report(host_id, ram_gb, available_ram_gb, reserved_ram_gb, ram_per_agent_gb,
                                     max_concurrent_agents, active_agents, active_services, status)
    return _decide(work.settings, row)


@read_only
async def can_spawn(work: Work, host_id: str) -> SpawnDecision:
    """Raises: NotFound (the host never reported)."""
    row = await work.capacity.get(host_id)
    if row is None:
        raise NotFound(f"host {host_id} has never reported its capacity; it must call report_host_capacity")
    return _decide(work.settings, row)


@read_only
async def hosts(work: Work, *, limit: int, cursor: str | None) -> HostList:
    """Every host that reported, by host id, with its spawn answer."""
    key = decode_cursor(cursor, str)
    rows = await work.capacity.page(key[0] if key else None, limit + 1)
    items = [_decide(work.settings, r) for r in rows[:limit]]
    return HostList(items=items, next_cursor=encode_cursor(items[-1].host_id) if len(rows) > limit else None)
