"""agent_registry: register (upsert), heartbeat, look-ups by id and role."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import asyncpg

__all__ = ["AgentStore"]

_COLUMNS = (
    "id, role, registration_name, host_id, capabilities, reported_status, status_since, in_flight, note, "
    "registered_at, last_heartbeat_at"
)


class AgentStore:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def register(
        self, agent_id: str, role: str, registration_name: str | None, host_id: str | None, capabilities: Sequence[str]
    ) -> asyncpg.Record:
        """Insert or update; a registration counts as an ``online`` heartbeat.

        The row also carries the previous reported status and heartbeat time (null when new).
        """
        return await self.conn.fetchrow(
            f"""
            WITH prev AS (SELECT reported_status, last_heartbeat_at FROM agent_registry WHERE id = $1)
            INSERT INTO agent_registry AS a (id, role, registration_name, host_id, capabilities)
            VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (id) DO UPDATE SET
                role = EXCLUDED.role,
                registration_name = EXCLUDED.registration_name,
                host_id = EXCLUDED.host_id,
                capabilities = EXCLUDED.capabilities,
                status_since = CASE WHEN a.reported_status = 'online' THEN a.status_since ELSE now() END,
                reported_status = 'online',
                last_heartbeat_at = now()
            RETURNING {_COLUMNS}, (SELECT reported_status FROM prev) AS prev_reported_status,
                      (SELECT last_heartbeat_at FROM prev) AS prev_heartbeat_at, now() AS now
            """,
            agent_id, role, registration_name, host_id, list(capabilities),
        )

    async def heartbeat(
        self, agent_id: str, status: str, in_flight: Sequence[str], note: str | None
    ) -> asyncpg.Record | None:
        """Record a heartbeat; the row also carries the previous reported status and heartbeat time."""
        return await self.conn.fetchrow(
            f"""
            WITH prev AS (
                SELECT id, reported_status, last_heartbeat_at FROM agent_registry WHERE id = $1 FOR UPDATE
            )
            UPDATE agent_registry AS a SET
                status_since = CASE WHEN a.reported_status = $2 THEN a.status_since ELSE now() END,
                reported_status = $2,
                in_flight = $3,
                note = $4,
                last_heartbeat_at = now()
            FROM prev WHERE a.id = prev.id
            RETURNING {', '.join('a.' + c.strip() for c in _COLUMNS.split(','))},
                      prev.reported_status AS prev_reported_status, prev.last_heartbeat_at AS prev_heartbeat_at,
                      now() AS now
            """,
            agent_id, status, list(in_flight), note,
        )

    async def get(self, agent_id: str) -> asyncpg.Record | None:
        return await self.conn.fetchrow(f"SELECT {_COLUMNS} FROM agent_registry WHERE id = $1", agent_id)

    async def page(self, *, role: str | None = None, after_id: str | None = None, limit: int = 200) -> list[asyncpg.Record]:
        """Agents by id, after ``after_id``."""
        return await self.conn.fetch(
            f"""
            SELECT {_COLUMNS} FROM agent_registry
            WHERE ($1::text IS NULL OR role = $1) AND ($2::text IS NULL OR id > $2)
            ORDER BY id LIMIT $3
            """,
            role, after_id, limit,
        )

    async def existing(self, ids: Sequence[str]) -> set[str]:
        rows = await self.conn.fetch("SELECT id FROM agent_registry WHERE id = ANY($1::text[])", list(ids))
        return {r["id"] for r in rows}

    async def ids_with_role(self, role: str) -> list[str]:
        return [r["id"] for r in await self.conn.fetch("SELECT id FROM agent_registry WHERE role = $1 ORDER BY id", role)]

    async def all_ids(self) -> list[str]:
        return [r["id"] for r in await self.conn.fetch("SELECT id FROM agent_registry ORDER BY id")]

    async def in_error(self) -> list[asyncpg.Record]:
        return await self.conn.fetch(f"SELECT {_COLUMNS} FROM agent_registry WHERE reported_status = 'error' ORDER BY id")

    async def now(self) -> datetime:
        """The database's clock (liveness is judged against it, never against this host's)."""
        return await self.conn.fetchval("SELECT now()")
