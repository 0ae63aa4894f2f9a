"""Tickets: gap-free numbering, per-ticket counters, pages, sub-tickets and the tasks listed under them."""

from __future__ import annotations

import asyncpg

from odm.domain.models import Ticket
from odm.store._base import Store
from odm.store.tasks import blocked_reason_sql

__all__ = ["TicketStore"]


class TicketStore(Store):
    table, model = "tickets", Ticket

    async def next_number(self) -> int:
        """The next ticket number; the counter row stays locked until the transaction ends (no gaps)."""
        return await self.conn.fetchval("UPDATE counters SET value = value + 1 WHERE name = 'ticket' RETURNING value")

    async def bump(self, key: str, counter: str) -> asyncpg.Record | None:
        """Increment ``task_counter`` or ``child_counter`` of ticket ``key``; the row stays locked (no gaps)."""
        if counter not in ("task_counter", "child_counter"):
            raise ValueError(counter)
        return await self.conn.fetchrow(
            f"UPDATE tickets SET {counter} = {counter} + 1 WHERE id = $1 RETURNING *", key
        )

    async def exists(self, key: str) -> bool:
        return bool(await self.conn.fetchval("SELECT EXISTS (SELECT 1 FROM tickets WHERE id = $1)", key))

    async def children(self, key: str) -> list[str]:
        rows = await self.conn.fetch("SELECT id FROM tickets WHERE parent_ticket_id = $1 ORDER BY seq", key)
        return [r["id"] for r in rows]

    async def task_briefs(self, key: str) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            f"""SELECT id, title, status_state, priority, claimed_by, {blocked_reason_sql('tasks')} FROM tasks
               WHERE ticket_id = $1 ORDER BY sequence, id""",
            key,
        )

    async def family(self, key: str) -> asyncpg.Record | None:
        """The pairs of the ticket, its sprint and its project (read, not locked)."""
        return await self.conn.fetchrow(
            """SELECT k.status_state AS ticket, k.sprint_id, s.status_state AS sprint, k.project_id, p.status_state AS project
               FROM tickets k JOIN projects p ON p.id = k.project_id LEFT JOIN sprints s ON s.id = k.sprint_id
               WHERE k.id = $1""",
            key,
        )

    async def pairs_in(self, column: str, key: str) -> list[str]:
        """The distinct pairs of the tickets whose ``column`` (sprint_id or project_id) is ``key``."""
        if column not in ("sprint_id", "project_id"):
            raise ValueError(column)
        rows = await self.conn.fetch(f"SELECT DISTINCT status_state FROM tickets WHERE {column} = $1", key)
        return [r["status_state"] for r in rows]

    async def page(self, *, project_id: str | None, sprint_id: str | None, status_state: str | None,
                   after: int | None, limit: int) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            """SELECT * FROM tickets
               WHERE ($1::text IS NULL OR project_id = $1) AND ($2::text IS NULL OR sprint_id = $2)
                 AND ($3::text IS NULL OR status_state = $3) AND ($4::bigint IS NULL OR seq > $4)
               ORDER BY seq LIMIT $5""",
            project_id, sprint_id, status_state, after, limit,
        )

    async def add_plan(self, key: str, cost, duration) -> asyncpg.Record:
        """Add to the plan (None leaves a figure as it is; a known amount added to unknown becomes known)."""
        return await self.conn.fetchrow(
            """UPDATE tickets SET
                 plan_cost = CASE WHEN $2::numeric IS NULL THEN plan_cost ELSE coalesce(plan_cost, 0) + $2 END,
                 plan_duration = CASE WHEN $3::numeric IS NULL THEN plan_duration ELSE coalesce(plan_duration, 0) + $3 END,
                 updated_at = now()
               WHERE id = $1 RETURNING *""",
            key, cost, duration,
        )
