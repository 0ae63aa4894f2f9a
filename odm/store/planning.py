"""Ideas, discussion threads and the many-to-many links between them."""

from __future__ import annotations

import asyncpg

from odm.domain.models import DiscussionThread, Idea
from odm.store._base import Store

__all__ = ["IdeaStore", "ThreadStore"]


class IdeaStore(Store):
    table, model = "ideas", Idea

    async def thread_ids(self, key: str) -> list[str]:
        rows = await self.conn.fetch("SELECT thread_id FROM idea_threads WHERE idea_id = $1 ORDER BY length(thread_id), thread_id", key)
        return [r["thread_id"] for r in rows]

    async def link(self, idea_id: str, thread_id: str) -> bool:
        """Link an idea and a thread; False if they were linked already."""
        return bool(await self.conn.fetchval(
            "INSERT INTO idea_threads (idea_id, thread_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING true",
            idea_id, thread_id,
        ))

    async def page(self, *, status: list[str] | None, due_before, after: tuple | None, limit: int) -> list[asyncpg.Record]:
        """Ideas by status; with ``due_before``, only new/deferred ones whose review is due by then."""
        return await self.conn.fetch(
            """SELECT * FROM ideas
               WHERE ($1::text[] IS NULL OR status = ANY($1))
                 AND ($2::timestamptz IS NULL OR (status IN ('new', 'deferred')
                      AND coalesce(next_review_at, last_reviewed_at, created_at) <= $2))
                 AND ($3::int IS NULL OR (length(id), id) > ($3, $4::text))
               ORDER BY length(id), id LIMIT $5""",
            status, due_before, after[0] if after else None, after[1] if after else None, limit,
        )


class ThreadStore(Store):
    table, model = "discussion_threads", DiscussionThread

    async def idea_ids(self, key: str) -> list[str]:
        rows = await self.conn.fetch("SELECT idea_id FROM idea_threads WHERE thread_id = $1 ORDER BY length(idea_id), idea_id", key)
        return [r["idea_id"] for r in rows]

    async def page(self, *, project_id: str | None, status_state: str | None, after: tuple | None,
                   limit: int) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            """SELECT * FROM discussion_threads
               WHERE ($1::text IS NULL OR project_id = $1) AND ($2::text IS NULL OR status_state = $2)
                 AND ($3::int IS NULL OR (length(id), id) > ($3, $4::text))
               ORDER BY length(id), id LIMIT $5""",
            project_id, status_state, after[0] if after else None, after[1] if after else None, limit,
        )
