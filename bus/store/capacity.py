"""host_capacity: the latest report of each host."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

__all__ = ["CapacityStore"]

_COLUMNS = (
    "host_id, ram_gb, available_ram_gb, reserved_ram_gb, ram_per_agent_gb, max_concurrent_agents, active_agents, "
    "active_services, status, reported_at"
)


class CapacityStore:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def report(
        self,
        host_id: str,
        ram_gb: float,
        available_ram_gb: float,
        reserved_ram_gb: float,
        ram_per_agent_gb: float,
        max_concurrent_agents: int | None,
        active_agents: int,
        active_services: Sequence[str],
        status: str,
    ) -> asyncpg.Record:
        return await self.conn.fetchrow(
            f"""
            INSERT INTO host_capacity AS h ({_COLUMNS})
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now())
            ON CONFLICT (host_id) DO UPDATE SET
                ram_gb = EXCLUDED.ram_gb, available_ram_gb = EXCLUDED.available_ram_gb,
                reserved_ram_gb = EXCLUDED.reserved_ram_gb, ram_per_agent_gb = EXCLUDED.ram_per_agent_gb,
                max_concurrent_agents = EXCLUDED.max_concurrent_agents, active_agents = EXCLUDED.active_agents,
                active_services = EXCLUDED.active_services, status = EXCLUDED.status, reported_at = now()
            RETURNING {_COLUMNS}, now() AS now
            """,
            host_id, ram_gb, available_ram_gb, reserved_ram_gb, ram_per_agent_gb, max_concurrent_agents,
            active_agents, list(active_services), status,
        )

    async def get(self, host_id: str) -> asyncpg.Record | None:
        return await self.conn.fetchrow(f"SELECT {_COLUMNS}, now() AS now FROM host_capacity WHERE host_id = $1", host_id)

    async def page(self, after_id: str | None, limit: int) -> list[asyncpg.Record]:
        """Hosts by id, after ``after_id``."""
        return await self.conn.fetch(
            f"SELECT {_COLUMNS}, now() AS now FROM host_capacity WHERE ($1::text IS NULL OR host_id > $1) "
            "ORDER BY host_id LIMIT $2",
            after_id, limit,
        )
