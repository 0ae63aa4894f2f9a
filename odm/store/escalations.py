"""Escalation Requests (one row per request, its lifecycle on it) and Human Decisions (append-only rows)."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from odm.domain.models import OPEN_ESCALATION_PREDICATE, EscalationRequest, HumanDecision
from odm.store._base import Store

__all__ = ["DecisionStore", "EscalationStore"]

_FEED_COLUMNS = """e.id, e.task_id, e.ticket_id, e.trigger_type, e.urgency, e.summary, e.status_state, e.due_at,
    e.agent_runtime_id, e.created_at, e.updated_at, t.title AS task_title, t.project_id,
    coalesce(array_length(e.questions, 1), 0) AS question_count, e.recommended_option"""


class EscalationStore(Store):
    table, model = "escalation_requests", EscalationRequest

    async def open_for_task(self, task_id: str) -> asyncpg.Record | None:
        return await self.conn.fetchrow(
            f"SELECT * FROM escalation_requests WHERE task_id = $1 AND {OPEN_ESCALATION_PREDICATE}", task_id)

    async def set_pair(self, key: str, status: str, state: str, *, resolved: bool) -> asyncpg.Record:
        return await self.conn.fetchrow(
            """UPDATE escalation_requests SET status = $2, state = $3, updated_at = now(),
                   resolved_at = CASE WHEN $4 THEN coalesce(resolved_at, now()) ELSE resolved_at END
               WHERE id = $1 RETURNING *""",
            key, status, state, resolved,
        )

    async def page(self, *, states: list[str] | None, statuses: list[str] | None, pairs: list[str] | None,
                   task_id: str | None, agent_id: str | None, after: tuple[datetime, str] | None,
                   limit: int) -> list[asyncpg.Record]:
        """Escalations (oldest first) filtered by state, status or pair, task, escalating agent; keyset paged."""
        return await self.conn.fetch(
            f"""SELECT {_FEED_COLUMNS} FROM escalation_requests e LEFT JOIN tasks t ON t.id = e.task_id
                WHERE ($1::text[] IS NULL OR e.state = ANY($1)) AND ($2::text[] IS NULL OR e.status = ANY($2))
                  AND ($3::text[] IS NULL OR e.status_state = ANY($3)) AND ($4::text IS NULL OR e.task_id = $4)
                  AND ($5::text IS NULL OR e.agent_runtime_id = $5 OR t.claimed_by = $5)
                  AND ($6::timestamptz IS NULL OR (e.created_at, e.id) > ($6, $7::text))
                ORDER BY e.created_at, e.id LIMIT $8""",
            states, statuses, pairs, task_id, agent_id, after[0] if after else None, after[1] if after else None, limit,
        )

    async def expire_due(self) -> list[asyncpg.Record]:
        """Open escalations past their due time move to complete.expired (their tasks stay at the gate)."""
        return await self.conn.fetch(
            f"""UPDATE escalation_requests SET status = 'complete', state = 'expired', resolved_at = now(),
                       updated_at = now()
                WHERE due_at IS NOT NULL AND due_at <= now() AND {OPEN_ESCALATION_PREDICATE}
                RETURNING id, task_id, status_state"""
        )

    async def cancel_withdrawn(self) -> list[asyncpg.Record]:
        """Open escalations whose task left the human gates some other way (an override, a cancelled ticket) are
        withdrawn: complete.cancelled."""
        return await self.conn.fetch(
            f"""UPDATE escalation_requests e SET status = 'complete', state = 'cancelled', resolved_at = now(),
                       updated_at = now()
                FROM tasks t
                WHERE t.id = e.task_id AND e.{OPEN_ESCALATION_PREDICATE} AND t.status NOT IN ('discussion', 'approval')
                RETURNING e.id, e.task_id, e.status_state"""
        )

    async def in_range(self, start: datetime, end: datetime, *, ticket_id: str | None, agent_id: str | None,
                       limit: int) -> list[asyncpg.Record]:
        """Escalations created in [start, end) or still open, for the execution report."""
        return await self.conn.fetch(
            f"""SELECT {_FEED_COLUMNS}, e.resolved_at FROM escalation_requests e LEFT JOIN tasks t ON t.id = e.task_id
                WHERE ((e.created_at >= $1 AND e.created_at < $2) OR (e.resolved_at >= $1 AND e.resolved_at < $2)
                       OR e.{OPEN_ESCALATION_PREDICATE})
                  AND ($3::text IS NULL OR e.ticket_id = $3) AND ($4::text IS NULL OR e.agent_runtime_id = $4)
                ORDER BY e.created_at, e.id LIMIT $5""",
            start, end, ticket_id, agent_id, limit,
        )


class DecisionStore(Store):
    table, model = "human_decisions", HumanDecision

    async def of_escalation(self, escalation_id: str) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            "SELECT * FROM human_decisions WHERE escalation_request_id = $1 ORDER BY created_at, id", escalation_id)

    async def in_range(self, start: datetime, end: datetime, *, ticket_id: str | None, limit: int) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            """SELECT d.*, e.task_id, e.ticket_id, e.summary FROM human_decisions d
                   JOIN escalation_requests e ON e.id = d.escalation_request_id
               WHERE d.created_at >= $1 AND d.created_at < $2 AND ($3::text IS NULL OR e.ticket_id = $3)
               ORDER BY d.created_at, d.id LIMIT $4""",
            start, end, ticket_id, limit,
        )
