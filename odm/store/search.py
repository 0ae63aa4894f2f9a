"""Full-text search over the work graph, the task feed (read by the Bus) and the ready list."""

from __future__ import annotations

import asyncpg

from odm.domain.models import CLAIMABLE_PREDICATE
from odm.store._base import Store
from odm.store.tasks import blocked_reason_sql

__all__ = ["FeedStore", "SearchStore"]

_COLUMNS = "'{kind}' AS kind, id, {title} AS title, status_state, ts_rank(search, q) AS rank FROM {table}, q WHERE search @@ q"
_SOURCES = {  # every branch names its columns: any of them may come first in the UNION
    "project": _COLUMNS.format(kind="project", title="name", table="projects"),
    "ticket": _COLUMNS.format(kind="ticket", title="title", table="tickets"),
    "task": _COLUMNS.format(kind="task", title="title", table="tasks"),
    "idea": _COLUMNS.format(kind="idea", title="title", table="ideas"),
    "discussion_thread": _COLUMNS.format(kind="discussion_thread", title="coalesce(title, left(summary, 80), id)",
                                         table="discussion_threads"),
    "research_task": _COLUMNS.format(kind="research_task", title="name", table="research_tasks"),
    "knowledge_object": _COLUMNS.format(kind="knowledge_object", title="title", table="knowledge_objects"),
}
SEARCHABLE = tuple(_SOURCES)


_ID_TABLES = {"project": "projects", "ticket": "tickets", "task": "tasks", "idea": "ideas", "user": "users"}


class SearchStore(Store):
    async def ids_starting(self, kind: str, prefix: str, limit: int) -> list[str]:
        """Ids of ``kind`` beginning with ``prefix``, in order (what a client tab-completes)."""
        table = _ID_TABLES[kind]
        pattern = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = await self.conn.fetch(f"SELECT id FROM {table} WHERE id LIKE $1 ORDER BY id LIMIT $2", pattern, limit)
        return [r["id"] for r in rows]

    async def search(self, query: str, kinds: list[str], offset: int, limit: int) -> list[asyncpg.Record]:
        union = "\nUNION ALL\n".join(f"SELECT {_SOURCES[k]}" for k in SEARCHABLE if k in kinds)
        return await self.conn.fetch(
            f"""WITH q AS (SELECT websearch_to_tsquery('english', $1) AS q)
                SELECT * FROM ({union}) AS hits ORDER BY rank DESC, kind, id OFFSET $2 LIMIT $3""",
            query, offset, limit,
        )


class FeedStore(Store):
    async def tasks(self, *, status_state: list[str] | None, claimed_by: str | None, over_s: float | None,
                    after: str | None, limit: int) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            f"""SELECT id, title, status_state, priority, ticket_id, project_id, claimed_by, claim_expires_at,
                      started_at, updated_at, {blocked_reason_sql('tasks')} FROM tasks
               WHERE ($1::text[] IS NULL OR status_state = ANY($1)) AND ($2::text IS NULL OR claimed_by = $2)
                 AND ($3::float8 IS NULL OR (status_state = 'execute.active'
                      AND started_at <= now() - make_interval(secs => $3)))
                 AND ($4::text IS NULL OR id > $4)
               ORDER BY id LIMIT $5""",
            status_state, claimed_by, over_s, after, limit,
        )

    async def ready(self, project_id: str | None, limit: int) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            f"""SELECT id, title, priority, ticket_id, project_id, status_state FROM tasks
                WHERE {CLAIMABLE_PREDICATE} AND ($1::text IS NULL OR project_id = $1)
                  AND NOT EXISTS (SELECT 1 FROM task_dependencies d JOIN tasks x ON x.id = d.depends_on_id
                                  WHERE d.task_id = tasks.id AND x.status_state <> 'complete.completed')
                ORDER BY priority_order, ticket_seq, sequence LIMIT $2""",
            project_id, limit,
        )
