"""events: append (ids committed in order) and read by topic and id range."""

from __future__ import annotations

import json
from typing import Any

import asyncpg

__all__ = ["EventStore"]

_PUBLISH_LOCK = 0x5842_0004  # advisory lock key: one event publisher commits at a time


class EventStore:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def append(self, topic: str, severity: str, source: str | None, payload_json: str) -> asyncpg.Record:
        await self.conn.execute("SELECT pg_advisory_xact_lock($1)", _PUBLISH_LOCK)
        return await self.conn.fetchrow(
            "INSERT INTO events (topic, severity, source, payload) VALUES ($1, $2, $3, $4::jsonb) "
            "RETURNING id, topic, severity, created_at",
            topic, severity, source, payload_json,
        )

    async def read(
        self, *, topic: str | None, after_id: int | None, up_to_id: int | None, min_severity: list[str] | None, limit: int
    ) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            """
            SELECT id, topic, severity, source, payload::text AS payload, created_at FROM events
            WHERE ($1::text IS NULL OR topic = $1) AND ($2::bigint IS NULL OR id > $2)
              AND ($3::bigint IS NULL OR id <= $3) AND ($4::text[] IS NULL OR severity = ANY($4))
            ORDER BY id LIMIT $5
            """,
            topic, after_id, up_to_id, min_severity, limit,
        )

    async def latest(self, topic: str, limit: int) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            """
            SELECT * FROM (
                SELECT id, topic, severity, source, payload::text AS payload, created_at FROM events
                WHERE topic = $1 ORDER BY id DESC LIMIT $2
            ) latest ORDER BY id
            """,
            topic, limit,
        )


def decode(row: asyncpg.Record) -> dict[str, Any]:
    return dict(row) | {"payload": json.loads(row["payload"])}
