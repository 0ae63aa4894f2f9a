"""The execution report's reads (§14A): what happened in a [start, end) window and what is open now.

Activities are read with a ``created_at`` range, so only the partitions of the window are scanned; one pass
groups them by agent, by task and by ticket (GROUPING SETS). Every list carries ``total_rows`` (the count
before the limit) so the report can say what it left out.
"""

from __future__ import annotations

from datetime import datetime

import asyncpg

from odm.store._base import Store

__all__ = ["ReportStore"]

# task pairs that count as blocked in a report (stopped, waiting on someone, or being recovered)
BLOCKED = "(t.state IN ('blocked', 'paused', 'waiting', 'failed', 'retry') OR t.status IN ('discussion', 'approval', 'recover'))"
_TICKET = "($3::text IS NULL OR t.ticket_id = $3 OR t.ticket_id LIKE $3 || '.%')"


class ReportStore(Store):
    async def completed(self, start: datetime, end: datetime, ticket_id: str | None, agent_id: str | None,
                        limit: int) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            f"""SELECT t.id, t.title, t.ticket_id, t.assigned_runtime_id AS agent, t.completed_at, t.actual_cost,
                       t.actual_duration_minutes, count(*) OVER () AS total_rows
                FROM tasks t
                WHERE t.status_state = 'complete.completed' AND t.completed_at >= $1 AND t.completed_at < $2
                  AND {_TICKET} AND ($4::text IS NULL OR t.assigned_runtime_id = $4)
                ORDER BY t.completed_at, t.id LIMIT $5""",
            start, end, ticket_id, agent_id, limit,
        )

    async def decisions(self, start: datetime, end: datetime, ticket_id: str | None, agent_id: str | None,
                        limit: int) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            """SELECT d.id, d.escalation_request_id, e.task_id, d.decision_type, d.selected_option, d.message,
                      d.created_by, d.created_at, d.task_resumed_to, count(*) OVER () AS total_rows
               FROM human_decisions d JOIN escalation_requests e ON e.id = d.escalation_request_id
               WHERE d.created_at >= $1 AND d.created_at < $2
                 AND ($3::text IS NULL OR e.ticket_id = $3 OR e.ticket_id LIKE $3 || '.%')
                 AND ($4::text IS NULL OR d.applies_to_runtime_id = $4 OR e.agent_runtime_id = $4)
               ORDER BY d.created_at, d.id LIMIT $5""",
            start, end, ticket_id, agent_id, limit,
        )

    async def interventions(self, start: datetime, end: datetime, ticket_id: str | None, limit: int) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            """SELECT id, scope_type, scope_ref, override_type, prior_state_ref, applied_change_ref, reason, issued_by,
                      created_at, count(*) OVER () AS total_rows
               FROM override_records
               WHERE created_at >= $1 AND created_at < $2
                 AND ($3::text IS NULL OR scope_ref = $3 OR scope_ref LIKE $3 || '.%')
               ORDER BY created_at, id LIMIT $4""",
            start, end, ticket_id, limit,
        )

    async def escalations(self, start: datetime, end: datetime, ticket_id: str | None, agent_id: str | None,
                          limit: int) -> list[asyncpg.Record]:
        """Escalations opened or resolved in the window, and every one still open."""
        return await self.conn.fetch(
            """SELECT e.id, e.task_id, e.urgency, e.trigger_type, e.summary, e.status_state, e.created_at, e.resolved_at,
                      e.state IN ('queued', 'waiting', 'active') AS open, count(*) OVER () AS total_rows
               FROM escalation_requests e
               WHERE ((e.created_at >= $1 AND e.created_at < $2) OR (e.resolved_at >= $1 AND e.resolved_at < $2)
                      OR e.state IN ('queued', 'waiting', 'active'))
                 AND ($3::text IS NULL OR e.ticket_id = $3 OR e.ticket_id LIKE $3 || '.%')
                 AND ($4::text IS NULL OR e.agent_runtime_id = $4)
               ORDER BY e.created_at, e.id LIMIT $5""",
            start, end, ticket_id, agent_id, limit,
        )

    async def open_items(self, ticket_id: str | None, agent_id: str | None, limit: int) -> list[asyncpg.Record]:
        """Tasks not finished now, blocked ones first."""
        return await self.conn.fetch(
            f"""SELECT t.id, t.title, t.ticket_id, t.status_state, {BLOCKED} AS blocked, t.claimed_by, t.priority,
                       count(*) OVER () AS total_rows, count(*) FILTER (WHERE {BLOCKED}) OVER () AS blocked_rows
                FROM tasks t
                WHERE t.status <> 'complete' AND ($1::timestamptz IS NULL) AND ($2::timestamptz IS NULL) AND {_TICKET}
                  AND ($4::text IS NULL OR t.claimed_by = $4 OR t.assigned_runtime_id = $4)
                ORDER BY {BLOCKED} DESC, t.priority_order, t.ticket_seq, t.sequence LIMIT $5""",
            None, None, ticket_id, agent_id, limit,
        )

    async def ticket_progress(self, start: datetime, end: datetime, ticket_id: str | None, limit: int) -> list[asyncpg.Record]:
        """Per ticket still open (or completed in the window): its tasks done, in progress, blocked, to do."""
        return await self.conn.fetch(
            f"""SELECT k.id, k.title, k.status_state, k.actual_cost,
                       count(t.id) FILTER (WHERE t.status_state = 'complete.completed') AS done,
                       count(t.id) FILTER (WHERE t.status IN ('execute', 'review', 'test') AND NOT {BLOCKED}) AS in_progress,
                       count(t.id) FILTER (WHERE t.status <> 'complete' AND {BLOCKED}) AS blocked,
                       count(t.id) FILTER (WHERE t.status IN ('create', 'plan', 'ready') AND NOT {BLOCKED}) AS todo,
                       count(*) OVER () AS total_rows
                FROM tickets k LEFT JOIN tasks t ON t.ticket_id = k.id
                WHERE (k.status NOT IN ('complete', 'archive') OR (k.updated_at >= $1 AND k.updated_at < $2))
                  AND ($3::text IS NULL OR k.id = $3 OR k.id LIKE $3 || '.%')
                GROUP BY k.id ORDER BY k.seq NULLS LAST, k.id LIMIT $4""",
            start, end, ticket_id, limit,
        )

    async def held_claims(self) -> dict[str, int]:
        rows = await self.conn.fetch("SELECT claimed_by, count(*) AS n FROM tasks WHERE claimed_by IS NOT NULL GROUP BY 1")
        return {r["claimed_by"]: r["n"] for r in rows}

    async def activity_totals(self, start: datetime, end: datetime, ticket_id: str | None,
                              agent_id: str | None) -> list[asyncpg.Record]:
        """Activities created in [start, end) summed by agent, by task, by ticket and overall, in one pass.

        ``grouping`` says which: 'agent', 'task', 'ticket' or 'all'. Cost unknown stays unknown: ``cost`` sums the
        known actual costs and ``cost_unknown`` counts the activities without one.
        """
        return await self.conn.fetch(
            f"""SELECT CASE WHEN GROUPING(a.agent_runtime_id) = 0 THEN 'agent' WHEN GROUPING(a.task_id) = 0 THEN 'task'
                            WHEN GROUPING(t.ticket_id) = 0 THEN 'ticket' ELSE 'all' END AS grouping,
                       a.agent_runtime_id AS agent, a.task_id, t.ticket_id,
                       count(*) AS activities, sum(a.actual_cost) AS cost, sum(a.estimated_cost) AS estimated_cost,
                       count(*) FILTER (WHERE a.actual_cost IS NULL) AS cost_unknown,
                       coalesce(sum(a.duration_ms), 0) AS duration_ms,
                       coalesce(sum(coalesce(a.total_tokens, coalesce(a.prompt_tokens, 0) + coalesce(a.completion_tokens, 0))), 0)
                           AS tokens
                FROM activities a JOIN tasks t ON t.id = a.task_id
                WHERE a.created_at >= $1 AND a.created_at < $2 AND {_TICKET}
                  AND ($4::text IS NULL OR a.agent_runtime_id = $4)
                GROUP BY GROUPING SETS ((a.agent_runtime_id), (a.task_id, t.ticket_id), (t.ticket_id), ())""",
            start, end, ticket_id, agent_id,
        )

    async def titles(self, task_ids: list[str], ticket_ids: list[str]) -> dict[str, str]:
        rows = await self.conn.fetch(
            """SELECT id, title FROM tasks WHERE id = ANY($1::text[])
               UNION ALL SELECT id, title FROM tickets WHERE id = ANY($2::text[])""",
            task_ids, ticket_ids,
        )
        return {r["id"]: r["title"] for r in rows}

    async def sprint_window(self, ticket_id: str | None) -> tuple[datetime, datetime] | None:
        """The dates of the ticket's sprint, else of the active (else the latest started) sprint."""
        row = await self.conn.fetchrow(
            """SELECT s.start_date, s.end_date FROM sprints s
               WHERE ($1::text IS NULL OR s.id = (SELECT sprint_id FROM tickets WHERE id = $1))
               ORDER BY (s.status_state = 'execute.active') DESC, (s.start_date <= now()) DESC, s.start_date DESC
               LIMIT 1""",
            ticket_id,
        )
        return (row["start_date"], row["end_date"]) if row else None
