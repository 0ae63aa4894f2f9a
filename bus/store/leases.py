"""leases: acquire (grant or renew) and release in one statement each, so races resolve in PostgreSQL."""

from __future__ import annotations

import asyncpg

__all__ = ["LeaseStore"]

_COLUMNS = "name, holder, token, acquired_at, expires_at, released_at"


class LeaseStore:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def acquire(self, name: str, holder: str, ttl_s: float) -> asyncpg.Record | None:
        """Grant the lease if free (new token) or renew it if ``holder`` holds it (same token).

        Returns the row with ``renewed``, or None when another holder has it. The row lock taken by
        ``ON CONFLICT DO UPDATE`` serialises racing acquirers: exactly one sees the lease free.
        """
        return await self.conn.fetchrow(
            f"""
            INSERT INTO leases AS l (name, holder, token, acquired_at, expires_at)
            VALUES ($1, $2, 1, now(), now() + make_interval(secs => $3))
            ON CONFLICT (name) DO UPDATE SET
                token = CASE WHEN l.holder = EXCLUDED.holder AND l.expires_at > now() THEN l.token ELSE l.token + 1 END,
                acquired_at = CASE WHEN l.holder = EXCLUDED.holder AND l.expires_at > now() THEN l.acquired_at ELSE now() END,
                holder = EXCLUDED.holder,
                expires_at = EXCLUDED.expires_at,
                released_at = NULL
            WHERE l.expires_at <= now() OR l.holder = EXCLUDED.holder
            RETURNING {_COLUMNS}, (acquired_at < now()) AS renewed
            """,
            name, holder, ttl_s,
        )

    async def get(self, name: str) -> asyncpg.Record | None:
        return await self.conn.fetchrow(f"SELECT {_COLUMNS}, expires_at > now() AS held FROM leases WHERE name = $1", name)

    async def release(self, name: str, holder: str, token: int) -> asyncpg.Record | None:
        """End the grant ``token`` of ``holder``; None if that is not the lease's current grant."""
        return await self.conn.fetchrow(
            f"""
            UPDATE leases SET expires_at = least(expires_at, now()), released_at = coalesce(released_at, now())
            WHERE name = $1 AND holder = $2 AND token = $3
            RETURNING {_COLUMNS}, (expires_at = now()) AS was_held
            """,
            name, holder, token,
        )

    async def held_by(self, holder: str) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            f"SELECT {_COLUMNS}, true AS held FROM leases WHERE holder = $1 AND expires_at > now() ORDER BY name", holder
        )
