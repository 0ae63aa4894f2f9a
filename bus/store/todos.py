"""user_todos: create (by hand or for a condition), update, the queue in priority order, auto-dismissal."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

import asyncpg

__all__ = ["ConditionRow", "TodoStore"]

_COLUMNS = (
    "id, title, description, priority, status, environment, linked_type, linked_id, linked_url, assigned_to, "
    "created_by, created_at, completed_at, sort_order"
)
_RANK = "(CASE priority WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END)"
_NEXT_SORT = (
    "coalesce((SELECT max(sort_order) FROM user_todos o WHERE o.priority = {p} "
    "AND o.status IN ('open', 'in_progress')), 0) + 1"
)

ConditionRow = tuple[str, str | None, str, str | None, str, str, str | None, datetime | None]
# (title, description, priority, environment, linked_type, linked_id, linked_url, since)


class TodoStore:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def create(
        self, title: str, description: str | None, priority: str, environment: str | None, linked_type: str | None,
        linked_id: str | None, linked_url: str | None, assigned_to: str, created_by: str, sort_order: int | None,
    ) -> asyncpg.Record | None:
        """The new todo, or None when an open todo already links the same object (the insert runs in a
        savepoint, so the caller's transaction goes on)."""
        return await self._unless_link_taken(
            f"""
            INSERT INTO user_todos (title, description, priority, environment, linked_type, linked_id, linked_url,
                                    assigned_to, created_by, sort_order)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, coalesce($10, {_NEXT_SORT.format(p='$3')}))
            RETURNING {_COLUMNS}
            """,
            title, description, priority, environment, linked_type, linked_id, linked_url, assigned_to, created_by,
            sort_order,
        )

    async def _unless_link_taken(self, query: str, *args: object) -> asyncpg.Record | None:
        """``query``'s row, or None if it would give one object a second open todo."""
        try:
            async with self.conn.transaction():  # a savepoint: PostgreSQL aborts the whole transaction otherwise
                return await self.conn.fetchrow(query, *args)
        except asyncpg.UniqueViolationError:
            return None

    async def create_for_conditions(self, rows: Sequence[ConditionRow], assigned_to: str) -> list[asyncpg.Record]:
        """One system todo per condition unless an open one links the same object (the unique index decides,
        so racing scanners create one) or a todo for it was closed since the condition began (a human
        dismissed this very occurrence). Returns the todos created."""
        if not rows:
            return []
        columns = list(zip(*rows, strict=True))
        return await self.conn.fetch(
            f"""
            WITH c AS (
                SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                                     $7::text[], $8::timestamptz[]) WITH ORDINALITY
                    AS c(title, description, priority, environment, linked_type, linked_id, linked_url, since, n)
            ),
            fresh AS (
                SELECT c.* FROM c
                WHERE NOT EXISTS (
                    SELECT 1 FROM user_todos t
                    WHERE t.linked_type = c.linked_type AND t.linked_id = c.linked_id
                      AND (t.status IN ('open', 'in_progress') OR (c.since IS NOT NULL AND t.completed_at >= c.since))
                )
            ),
            band AS (  -- the end of each priority band: new todos queue up after it
                SELECT priority, max(sort_order) AS last FROM user_todos
                WHERE status IN ('open', 'in_progress') GROUP BY priority
            )
            INSERT INTO user_todos (title, description, priority, environment, linked_type, linked_id, linked_url,
                                    assigned_to, created_by, sort_order)
            SELECT f.title, f.description, f.priority, f.environment, f.linked_type, f.linked_id, f.linked_url,
                   $9, 'system', coalesce(b.last, 0) + row_number() OVER (PARTITION BY f.priority ORDER BY f.n)
            FROM fresh f LEFT JOIN band b ON b.priority = f.priority
            ON CONFLICT (linked_type, linked_id) WHERE status IN ('open', 'in_progress') AND linked_id IS NOT NULL
            DO NOTHING
            RETURNING {_COLUMNS}
            """,
            *[list(col) for col in columns], assigned_to,
        )

    async def open_system_links(self, linked_type: str) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            "SELECT id, linked_id FROM user_todos WHERE created_by = 'system' AND linked_type = $1 "
            "AND status IN ('open', 'in_progress') AND linked_id IS NOT NULL",
            linked_type,
        )

    async def close_cleared(self, ids: Sequence[UUID], reasons: Sequence[str]) -> list[asyncpg.Record]:
        """Mark done with the reason appended to the description (the spec's auto-dismiss annotation)."""
        return await self.conn.fetch(
            f"""
            UPDATE user_todos t SET
                status = 'done',
                completed_at = now(),
                description = coalesce(t.description || E'\\n\\n', '')
                              || 'Auto-dismissed ' || to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
                              || ': ' || c.reason
            FROM unnest($1::uuid[], $2::text[]) AS c(id, reason)
            WHERE t.id = c.id AND t.status IN ('open', 'in_progress')
            RETURNING {', '.join('t.' + c.strip() for c in _COLUMNS.split(','))}
            """,
            list(ids), list(reasons),
        )

    async def get(self, todo_id: UUID, *, for_update: bool = False) -> asyncpg.Record | None:
        lock = " FOR UPDATE" if for_update else ""
        return await self.conn.fetchrow(f"SELECT {_COLUMNS} FROM user_todos WHERE id = $1{lock}", todo_id)

    async def open_for_link(self, linked_type: str | None, linked_id: str | None) -> asyncpg.Record | None:
        return await self.conn.fetchrow(
            f"SELECT {_COLUMNS} FROM user_todos WHERE linked_type = $1 AND linked_id = $2 "
            "AND status IN ('open', 'in_progress')",
            linked_type, linked_id,
        )

    async def update(
        self, todo_id: UUID, *, status: str, priority: str, sort_order: int, title: str, description: str | None,
        assigned_to: str,
    ) -> asyncpg.Record | None:
        """Write the new values; completed_at follows the status (kept if it stays closed). None (nothing
        written, the transaction goes on) when reopening would give the linked object a second open todo."""
        return await self._unless_link_taken(
            f"""
            UPDATE user_todos SET
                completed_at = CASE WHEN $2 IN ('done', 'dismissed') THEN coalesce(completed_at, now()) END,
                status = $2, priority = $3, sort_order = $4, title = $5, description = $6, assigned_to = $7
            WHERE id = $1 RETURNING {_COLUMNS}
            """,
            todo_id, status, priority, sort_order, title, description, assigned_to,
        )

    async def queue(
        self, statuses: Sequence[str], priority: str | None, assigned_to: str | None,
        after: tuple[int, int, datetime, UUID] | None, limit: int,
    ) -> list[asyncpg.Record]:
        """Most urgent first: priority, then sort_order, then age."""
        return await self.conn.fetch(
            f"""
            SELECT {_COLUMNS}, {_RANK} AS rank FROM user_todos
            WHERE status = ANY($1::text[]) AND ($2::text IS NULL OR priority = $2)
              AND ($3::text IS NULL OR assigned_to = $3)
              AND ($4::int IS NULL OR ({_RANK}, sort_order, created_at, id) > ($4, $5, $6, $7))
            ORDER BY {_RANK}, sort_order, created_at, id
            LIMIT $8
            """,
            list(statuses), priority, assigned_to,
            *(after if after is not None else (None, None, None, None)), limit,
        )
