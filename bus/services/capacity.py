"""Use cases of host capacity: report it, ask whether an agent can be spawned, list hosts."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg
from pydantic import BaseModel

from bus.domain.capacity import HostCapacity, SpawnDecision, decide_spawn
from bus.errors import InvalidArgument, NotFound
from bus.settings import BusSettings
from bus.store.capacity import CapacityStore
from bus.store.db import Database

__all__ = ["CapacityService", "HostList"]


class HostList(BaseModel):
    items: list[SpawnDecision]
    next_cursor: str | None


def _capacity(row: asyncpg.Record) -> HostCapacity:
    return HostCapacity(**{k: row[k] for k in HostCapacity.model_fields})


class CapacityService:
    def __init__(self, db: Database, settings: BusSettings) -> None:
        self.db = db
        self.settings = settings

    def _decide(self, row: asyncpg.Record) -> SpawnDecision:
        return decide_spawn(_capacity(row), row["now"], stale_after_s=self.settings.capacity_stale_after_s)

    async def report(
        self,
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
        async with self.db.transaction() as conn:
            row = await CapacityStore(conn).report(
                host_id, ram_gb, available_ram_gb, reserved_ram_gb, ram_per_agent_gb, max_concurrent_agents,
                active_agents, active_services, status,
            )
        return self._decide(row)

    async def can_spawn(self, host_id: str) -> SpawnDecision:
        """Raises: NotFound (the host never reported)."""
        async with self.db.read() as conn:
            row = await CapacityStore(conn).get(host_id)
        if row is None:
            raise NotFound(f"host {host_id} has never reported its capacity; it must call report_host_capacity")
        return self._decide(row)

    async def get(self, host_id: str) -> HostCapacity:
        """Raises: NotFound."""
        async with self.db.read() as conn:
            row = await CapacityStore(conn).get(host_id)
        if row is None:
            raise NotFound(f"host {host_id} has never reported its capacity")
        return _capacity(row)

    async def hosts(self, *, limit: int, cursor: str | None) -> HostList:
        async with self.db.read() as conn:
            rows = await CapacityStore(conn).list(cursor, limit + 1)
        items = [self._decide(r) for r in rows[:limit]]
        return HostList(items=items, next_cursor=items[-1].host_id if len(rows) > limit else None)
