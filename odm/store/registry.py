"""Users (one of them primary), topics (a tree plus related links) and hosts."""

from __future__ import annotations

import asyncpg

from odm.domain.models import Host, Topic, User
from odm.store._base import Store

__all__ = ["HostStore", "TopicStore", "UserStore"]


class UserStore(Store):
    table, model = "users", User
    _PRIMARY_LOCK = 0x5849_0D02  # advisory lock id: one process at a time sets the primary user

    async def lock_primary(self) -> None:
        """Hold the primary-user lock until the transaction ends."""
        await self.conn.execute("SELECT pg_advisory_xact_lock($1)", self._PRIMARY_LOCK)

    async def by_name(self, name: str) -> asyncpg.Record | None:
        return await self.conn.fetchrow("SELECT * FROM users WHERE name = $1", name)

    async def make_primary(self, key: str) -> None:
        """Make ``key`` the only primary user."""
        await self.conn.execute("UPDATE users SET is_primary = false, updated_at = now() WHERE is_primary AND id <> $1", key)
        await self.conn.execute("UPDATE users SET is_primary = true, updated_at = now() WHERE id = $1 AND NOT is_primary", key)

    async def all(self) -> list[asyncpg.Record]:
        return await self.conn.fetch("SELECT * FROM users ORDER BY length(id), id")


class TopicStore(Store):
    table, model = "topics", Topic

    async def missing(self, keys: list[str]) -> list[str]:
        rows = await self.conn.fetch(
            "SELECT k FROM unnest($1::text[]) AS k WHERE NOT EXISTS (SELECT 1 FROM topics WHERE id = k)", keys
        )
        return [r["k"] for r in rows]

    async def relate(self, key: str, others: list[str]) -> None:
        """Relate ``key`` with each of ``others`` in both directions."""
        await self.conn.execute(
            """INSERT INTO topic_relations (topic_id, related_topic_id)
               SELECT a, b FROM unnest($2::text[]) AS o, LATERAL (VALUES ($1::text, o), (o, $1::text)) AS p(a, b)
               ON CONFLICT DO NOTHING""",
            key, others,
        )

    async def related(self, key: str) -> list[str]:
        rows = await self.conn.fetch(
            "SELECT related_topic_id FROM topic_relations WHERE topic_id = $1 ORDER BY length(related_topic_id), related_topic_id", key
        )
        return [r["related_topic_id"] for r in rows]

    async def page(self, *, parent_topic_id: str | None, roots: bool, limit: int) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            """SELECT * FROM topics WHERE (NOT $2 OR parent_topic_id IS NULL) AND ($1::text IS NULL OR parent_topic_id = $1)
               ORDER BY length(id), id LIMIT $3""",
            parent_topic_id, roots, limit,
        )


class HostStore(Store):
    table, model = "hosts", Host

    async def by_name(self, name: str) -> asyncpg.Record | None:
        return await self.conn.fetchrow("SELECT * FROM hosts WHERE name = $1", name)

    async def all(self) -> list[asyncpg.Record]:
        return await self.conn.fetch("SELECT * FROM hosts ORDER BY name")
