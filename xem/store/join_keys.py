"""Join keys: recorded when minted, consumed once (atomically) by an enrollment."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

__all__ = ["JoinKeyStore"]


class JoinKeyStore:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def record(self, key_id: uuid.UUID, role: str, expires_at: datetime) -> None:
        await self.conn.execute("INSERT INTO xem.join_keys (id, role, expires_at) VALUES ($1, $2, $3)", key_id, role, expires_at)

    async def consume(self, key_id: uuid.UUID, name: str, public_key: str) -> str:
        """'consumed' on success, else 'reused' or 'unknown' (nothing changes then).

        The agent that consumed a key may present it again (its enroll_ok was lost): that is not a reuse.
        """
        row = await self.conn.fetchrow(
            "UPDATE xem.join_keys SET consumed_at = coalesce(consumed_at, now()), consumed_by = $2, consumed_key = $3 "
            "WHERE id = $1 AND (consumed_at IS NULL OR (consumed_by = $2 AND consumed_key = $3)) RETURNING id",
            key_id, name, public_key,
        )
        if row is not None:
            return "consumed"
        exists = await self.conn.fetchval("SELECT true FROM xem.join_keys WHERE id = $1", key_id)
        return "reused" if exists else "unknown"

    async def recent(self, limit: int = 50) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            "SELECT id, role, created_at, expires_at, consumed_at, consumed_by FROM xem.join_keys "
            "ORDER BY created_at DESC LIMIT $1", limit,
        )
