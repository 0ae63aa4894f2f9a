"""Research tasks, knowledge objects, schedules and the occurrences handed out (one row per hand-out)."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from odm.domain.models import KnowledgeObject, ResearchTask, Schedule
from odm.store._base import Store

__all__ = ["KnowledgeStore", "ResearchStore", "ScheduleStore"]

_AFTER = "($1::int IS NULL OR (length(id), id) > ($1, $2::text))"  # keyset on (length(id), id): rt-9 before rt-10


class ResearchStore(Store):
    table, model = "research_tasks", ResearchTask

    async def page(self, *, status_state: str | None, after: tuple | None, limit: int) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            f"""SELECT * FROM research_tasks WHERE {_AFTER} AND ($3::text IS NULL OR status_state = $3)
                ORDER BY length(id), id LIMIT $4""",
            after[0] if after else None, after[1] if after else None, status_state, limit,
        )

    async def record_output(self, key: str, ref: str, sha256: str, size: int, summary: str | None,
                            actor: str | None) -> asyncpg.Record:
        return await self.conn.fetchrow(
            """UPDATE research_tasks SET latest_output_ref = $2, latest_output_sha256 = $3, latest_output_size = $4,
                      latest_output_summary = coalesce($5, latest_output_summary), output_count = output_count + 1,
                      updated_by = $6, updated_at = now()
               WHERE id = $1 RETURNING *""",
            key, ref, sha256, size, summary, actor,
        )


class KnowledgeStore(Store):
    table, model = "knowledge_objects", KnowledgeObject

    async def page(self, *, type_: str | None, status_state: str | None, research_task_id: str | None,
                   after: tuple | None, limit: int) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            f"""SELECT * FROM knowledge_objects WHERE {_AFTER} AND ($3::text IS NULL OR type = $3)
                  AND ($4::text IS NULL OR status_state = $4) AND ($5::text IS NULL OR research_task_id = $5)
                ORDER BY length(id), id LIMIT $6""",
            after[0] if after else None, after[1] if after else None, type_, status_state, research_task_id, limit,
        )


class ScheduleStore(Store):
    table, model = "schedules", Schedule

    async def lock_due(self, now: datetime, idle: bool, limit: int) -> list[asyncpg.Record]:
        """Active schedules due by ``now``, locked; rows another caller holds are skipped, not waited for."""
        return await self.conn.fetch(
            """SELECT * FROM schedules
               WHERE status = 'active' AND next_due_at IS NOT NULL AND next_due_at <= $1 AND ($2 OR mode <> 'idle_window')
               ORDER BY next_due_at, id LIMIT $3 FOR UPDATE SKIP LOCKED""",
            now, idle, limit,
        )

    async def hand_out(self, key: str, due_at: datetime, handed_to: str | None, missed: int) -> bool:
        """Record the occurrence; False if it was already handed out (the primary key refuses a second one)."""
        row = await self.conn.fetchrow(
            """INSERT INTO schedule_occurrences (schedule_id, due_at, handed_to, missed) VALUES ($1, $2, $3, $4)
               ON CONFLICT DO NOTHING RETURNING schedule_id""",
            key, due_at, handed_to, missed,
        )
        return row is not None

    async def advance(self, key: str, *, due_at: datetime, next_due_at: datetime | None, missed: int) -> None:
        await self.conn.execute(
            """UPDATE schedules SET last_due_at = $2, next_due_at = $3, handed_count = handed_count + 1,
                      missed_count = missed_count + $4,
                      status = CASE WHEN $3::timestamptz IS NULL AND mode <> 'event_driven' THEN 'finished' ELSE status END,
                      updated_at = now()
               WHERE id = $1""",
            key, due_at, next_due_at, missed,
        )

    async def fire(self, event: str, now: datetime) -> list[asyncpg.Record]:
        """Make the active event_driven schedules waiting for ``event`` due now (a waiting one stays as it is)."""
        rows = await self.conn.fetch(
            """UPDATE schedules SET next_due_at = coalesce(next_due_at, $2), updated_at = now()
               WHERE status = 'active' AND mode = 'event_driven' AND dependency_event = $1 RETURNING *""",
            event, now,
        )
        return sorted(rows, key=lambda r: (len(r["id"]), r["id"]))

    async def page(self, *, task_id: str | None, research_task_id: str | None, status: str | None,
                   after: tuple | None, limit: int) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            f"""SELECT * FROM schedules WHERE {_AFTER} AND ($3::text IS NULL OR task_id = $3)
                  AND ($4::text IS NULL OR research_task_id = $4) AND ($5::text IS NULL OR status = $5)
                ORDER BY length(id), id LIMIT $6""",
            after[0] if after else None, after[1] if after else None, task_id, research_task_id, status, limit,
        )

    async def ids_for(self, column: str, key: str) -> list[str]:
        rows = await self.conn.fetch(
            f"SELECT id FROM schedules WHERE {'task_id' if column == 'task_id' else 'research_task_id'} = $1 "
            "ORDER BY length(id), id", key)
        return [r["id"] for r in rows]
