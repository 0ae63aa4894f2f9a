"""Activities with their ledger entries and the maintained totals they roll into (task -> ticket -> sprint ->
project), in as few statements as the writes allow.

Every query on ``activities`` carries a ``created_at`` range so PostgreSQL prunes the monthly partitions;
an activity's id names its month (``act-YYYYMM-N``), so a lookup by id reads one partition. Rows are locked
in one order everywhere: tasks, then tickets, sprints, projects (each level by id), so concurrent recorders
wait for each other instead of deadlocking, and totals are added in place (``x = x + $1``), never lost.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg

from odm.domain.models import Activity
from odm.store._base import Store

__all__ = ["ACTIVITY_COLUMNS", "ActivityStore"]

# the columns a recorder gives (id, sequence, created_at and updated_at are the store's)
GIVEN = ("agent_runtime_id", "session_id", "execution_surface_id", "activity_type", "started_at", "ended_at",
         "duration_ms", "input_ref", "output_ref", "artifact_refs", "provider", "model", "auth_mode", "prompt_tokens",
         "completion_tokens", "cached_tokens", "total_tokens", "estimated_cost", "actual_cost", "result_status",
         "error_code", "error_message", "retryable", "evaluation_ref", "metadata_ref")
ACTIVITY_COLUMNS = ("id", "task_id", "sequence", *GIVEN, "created_at", "updated_at")
_CAST = {"started_at": "timestamptz", "ended_at": "timestamptz", "duration_ms": "bigint", "artifact_refs": "text[]",
         "prompt_tokens": "bigint", "completion_tokens": "bigint", "cached_tokens": "bigint", "total_tokens": "bigint",
         "estimated_cost": "numeric", "actual_cost": "numeric", "retryable": "boolean"}

# $1 task, $2 accepting statuses, $3 claim token, $4 cost (NULL = unknown), $5 duration ms, $6 quantity, then GIVEN
_ADD = """actual_cost = actual_cost + coalesce($4::numeric, 0),
          cost_unknown_count = cost_unknown_count + (CASE WHEN $4::numeric IS NULL THEN 1 ELSE 0 END),
          {duration} = {duration} + coalesce($5::bigint, 0) / 60000.0, updated_at = now()"""
_LEVEL = "actual_cost, actual_cost - coalesce($4::numeric, 0) AS before, budget_status, budget_hard_limit AS hard_limit"
_GIVEN_PARAMS = ", ".join(f"${i}::{_CAST.get(c, 'text')}" for i, c in enumerate(GIVEN, start=7))
_STARTED = f"coalesce(${7 + GIVEN.index('started_at')}::timestamptz, now())"

_RECORD_ONE = f"""
WITH tk AS (
    UPDATE tasks SET activity_count = activity_count + 1, first_activity_at = coalesce(first_activity_at, now()),
                     {_ADD.format(duration="actual_duration_minutes")}
    WHERE id = $1 AND status = ANY($2::text[]) AND ($3::bigint IS NULL OR (claim_token = $3 AND claimed_by IS NOT NULL))
    RETURNING id, ticket_id, project_id, activity_count, status_state, cost_cap, plan_cost, cost_unknown_count,
              actual_cost, actual_cost - coalesce($4::numeric, 0) AS before, budget_status
), a AS (
    INSERT INTO activities (id, task_id, sequence, {", ".join(GIVEN)}, created_at)
    SELECT 'act-' || to_char({_STARTED} AT TIME ZONE 'UTC', 'YYYYMM') || '-' || nextval('activity_id_seq'),
           tk.id, tk.activity_count, {_GIVEN_PARAMS.replace(f"${7 + GIVEN.index('started_at')}::timestamptz", _STARTED)},
           {_STARTED}
    FROM tk RETURNING *
), ti AS (
    UPDATE tickets SET {_ADD.format(duration="actual_duration")} WHERE id = (SELECT ticket_id FROM tk)
    RETURNING id, sprint_id, {_LEVEL}
), sp AS (
    UPDATE sprints SET {_ADD.format(duration="actual_duration_minutes")} WHERE id = (SELECT sprint_id FROM ti)
    RETURNING id, {_LEVEL}
), pr AS (
    UPDATE projects SET {_ADD.format(duration="actual_duration_minutes")}
    WHERE id = (SELECT project_id FROM tk) AND (SELECT count(*) FROM sp) >= 0
    RETURNING id, {_LEVEL}
), cl AS (
    INSERT INTO cost_ledger (activity_id, activity_created_at, agent_runtime_id, task_id, ticket_id, sprint_id, project_id,
                             provider, model, charge_type, quantity, unit_cost, amount)
    SELECT a.id, a.created_at, a.agent_runtime_id, a.task_id, ti.id, ti.sprint_id, tk.project_id, a.provider, a.model,
           CASE WHEN $6::bigint IS NULL THEN 'fixed' ELSE 'tokens' END, coalesce($6::bigint, 1),
           CASE WHEN a.actual_cost IS NOT NULL AND coalesce($6::bigint, 1) > 0 THEN a.actual_cost / coalesce($6::bigint, 1) END,
           a.actual_cost
    FROM a, tk, ti RETURNING 1
), tl AS (
    INSERT INTO time_ledger (activity_id, activity_created_at, agent_runtime_id, task_id, ticket_id, started_at, ended_at,
                             duration_ms)
    SELECT a.id, a.created_at, a.agent_runtime_id, a.task_id, tk.ticket_id, a.started_at, a.ended_at, a.duration_ms
    FROM a, tk WHERE a.duration_ms IS NOT NULL OR a.ended_at IS NOT NULL RETURNING 1
)
SELECT a.*, tk.ticket_id, tk.project_id, tk.status_state AS task_state,
       tk.actual_cost AS task_actual, tk.before AS task_before, tk.cost_cap, tk.plan_cost AS task_plan,
       tk.cost_unknown_count AS task_unknown, tk.budget_status AS task_budget,
       ti.actual_cost AS ticket_actual, ti.before AS ticket_before, ti.hard_limit AS ticket_hard, ti.sprint_id,
       sp.actual_cost AS sprint_actual, sp.before AS sprint_before, sp.hard_limit AS sprint_hard,
       pr.actual_cost AS project_actual, pr.before AS project_before, pr.hard_limit AS project_hard,
       (SELECT count(*) FROM cl) + (SELECT count(*) FROM tl) AS ledger_rows
FROM a, tk, ti LEFT JOIN sp ON true LEFT JOIN pr ON true
"""

_LEVELS = {"task": ("tasks", "actual_duration_minutes"), "ticket": ("tickets", "actual_duration"),
           "sprint": ("sprints", "actual_duration_minutes"), "project": ("projects", "actual_duration_minutes")}


class ActivityStore(Store):
    table, model = "activities", Activity

    async def ensure_partition(self, at: datetime) -> str:
        """Create the month partition holding ``at`` if it is missing; returns its name."""
        name: str = await self.conn.fetchval("SELECT odm_activity_partition($1)", at)
        return name

    async def partitions(self) -> list[str]:
        rows = await self.conn.fetch(
            """SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
               WHERE i.inhparent = 'activities'::regclass ORDER BY 1""")
        return [r["relname"] for r in rows]

    async def record_one(self, task_id: str, accepting: Sequence[str], claim_token: int | None, values: dict[str, Any],
                         quantity: int | None) -> asyncpg.Record | None:
        """Insert one activity with its ledger entries and add it to every level's totals, in one statement.

        None when the task does not exist, is not in an ``accepting`` status or the claim token is not its own.
        """
        return await self.conn.fetchrow(_RECORD_ONE, task_id, list(accepting), claim_token, values.get("actual_cost"),
                                        values.get("duration_ms"), quantity, *(values.get(c) for c in GIVEN))

    async def lock_tasks(self, keys: list[str]) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            """SELECT t.id, t.ticket_id, t.project_id, t.status, t.status_state, t.claimed_by, t.claim_token,
                      t.activity_count, k.sprint_id
               FROM tasks t JOIN tickets k ON k.id = t.ticket_id
               WHERE t.id = ANY($1::text[]) ORDER BY t.id FOR UPDATE OF t""", keys)

    async def next_ids(self, n: int) -> list[int]:
        rows = await self.conn.fetch("SELECT nextval('activity_id_seq') AS n FROM generate_series(1, $1)", n)
        return [r["n"] for r in rows]

    async def copy(self, table: str, columns: Sequence[str], records: list[tuple]) -> None:
        await self.conn.copy_records_to_table(table, columns=list(columns), records=records)

    async def add_totals(self, level: str, keys: list[str], costs: list[Any], unknown: list[int], millis: list[int],
                         counts: list[int] | None = None) -> list[asyncpg.Record]:
        """Add per-row amounts to the totals of ``level`` rows ``keys`` (locked in id order first)."""
        table, duration = _LEVELS[level]
        await self.conn.execute(f"SELECT 1 FROM {table} WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE", keys)
        extra = (", activity_count = activity_count + d.n, "
                 "first_activity_at = coalesce(x.first_activity_at, CASE WHEN d.n > 0 THEN now() END)" if level == "task" else "")
        hard = "cost_cap" if level == "task" else "budget_hard_limit"
        return await self.conn.fetch(
            f"""UPDATE {table} x SET actual_cost = x.actual_cost + d.cost, cost_unknown_count = x.cost_unknown_count + d.unknown,
                       {duration} = x.{duration} + d.millis / 60000.0, updated_at = now(){extra}
                FROM unnest($1::text[], $2::numeric[], $3::int[], $4::bigint[], $5::int[]) AS d(id, cost, unknown, millis, n)
                WHERE x.id = d.id
                RETURNING x.id, x.actual_cost, x.actual_cost - d.cost AS before, x.{hard} AS hard_limit, x.budget_status""",
            keys, costs, unknown, millis, counts or [0] * len(keys))

    async def find(self, key: str, start: datetime, end: datetime, *, lock: bool = False) -> asyncpg.Record | None:
        return await self.conn.fetchrow(
            f"SELECT * FROM activities WHERE id = $1 AND created_at >= $2 AND created_at < $3{' FOR UPDATE' if lock else ''}",
            key, start, end)

    async def complete(self, key: str, created_at: datetime, values: dict[str, Any]) -> asyncpg.Record:
        sets = ", ".join(f"{c} = ${i}" for i, c in enumerate(values, start=3))
        return await self.conn.fetchrow(
            f"UPDATE activities SET {sets}, updated_at = now() WHERE id = $1 AND created_at = $2 RETURNING *",
            key, created_at, *values.values())

    async def add_time_ledger(self, row: asyncpg.Record, ticket_id: str) -> None:
        await self.conn.execute(
            """INSERT INTO time_ledger (activity_id, activity_created_at, agent_runtime_id, task_id, ticket_id, started_at,
                                        ended_at, duration_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
               ON CONFLICT (activity_id) DO NOTHING""",
            row["id"], row["created_at"], row["agent_runtime_id"], row["task_id"], ticket_id, row["started_at"],
            row["ended_at"], row["duration_ms"])

    async def page(self, *, task_id: str | None, agent_id: str | None, start: datetime, end: datetime,
                   after: tuple | None, limit: int) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            """SELECT * FROM activities
               WHERE created_at >= $1 AND created_at < $2 AND ($3::text IS NULL OR task_id = $3)
                 AND ($4::text IS NULL OR agent_runtime_id = $4)
                 AND ($5::timestamptz IS NULL OR (created_at, id) > ($5, $6::text))
               ORDER BY created_at, id LIMIT $7""",
            start, end, task_id, agent_id, after[0] if after else None, after[1] if after else None, limit)

    async def explain_page(self, task_id: str, start: datetime, end: datetime) -> str:
        """The plan of a task's activities in a range (tests show it reads only the range's partitions)."""
        rows = await self.conn.fetch(
            "EXPLAIN SELECT * FROM activities WHERE created_at >= $1 AND created_at < $2 AND task_id = $3",
            start, end, task_id)
        return "\n".join(r[0] for r in rows)
