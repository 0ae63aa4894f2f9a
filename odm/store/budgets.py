"""Budgets: limits on projects, sprints, tickets and tasks, budget holds (a task paused for budget), the
evaluations of activities, and the budget feed the Bus reads (rows whose budget_status is not within_budget)."""

from __future__ import annotations

from typing import Any

import asyncpg

from odm.domain.models import ActivityEvaluation, BudgetHold
from odm.store._base import Store

__all__ = ["BudgetStore", "EvaluationStore"]

_TABLES = {"project": "projects", "sprint": "sprints", "ticket": "tickets", "task": "tasks"}
_LIMITS = {"plan_cost", "budget_soft_limit", "budget_hard_limit", "budget_warning_pct", "cost_cap"}

# one branch per level: (key, scope, id, title, reference the warning is measured against, actual, status, since)
_FEED = " UNION ALL ".join(
    f"""SELECT '{kind}:' || id AS key, '{kind}' AS scope, id AS scope_id, {title} AS title,
               {reference} AS planned_cost, actual_cost, budget_status, updated_at, cost_unknown_count
        FROM {table} WHERE budget_status <> 'within_budget'"""
    for kind, table, title, reference in (
        ("project", "projects", "name", "coalesce(budget_soft_limit, plan_cost, budget_hard_limit)"),
        ("sprint", "sprints", "name", "coalesce(budget_soft_limit, plan_cost, budget_hard_limit)"),
        ("ticket", "tickets", "title", "coalesce(budget_soft_limit, plan_cost, budget_hard_limit)"),
        ("task", "tasks", "title", "coalesce(plan_cost, cost_cap)"),
    )
)


class BudgetStore(Store):
    table, model = "budget_holds", BudgetHold

    async def level(self, kind: str, key: str, *, lock: bool = False) -> asyncpg.Record | None:
        return await self.conn.fetchrow(
            f"SELECT * FROM {_TABLES[kind]} WHERE id = $1{' FOR UPDATE' if lock else ''}", key)

    async def set_limits(self, kind: str, key: str, values: dict[str, Any]) -> asyncpg.Record:
        unknown = set(values) - _LIMITS
        if unknown:
            raise ValueError(f"not budget columns: {sorted(unknown)}")
        sets = ", ".join(f"{c} = ${i}" for i, c in enumerate(values, start=2))
        return await self.conn.fetchrow(
            f"UPDATE {_TABLES[kind]} SET {sets}{', ' if sets else ''}updated_at = now() WHERE id = $1 RETURNING *",
            key, *values.values())

    async def open_hold(self, task_id: str) -> asyncpg.Record | None:
        return await self.conn.fetchrow(
            "SELECT * FROM budget_holds WHERE task_id = $1 AND released_at IS NULL", task_id)

    async def held_claims(self, agent_id: str) -> list[asyncpg.Record]:
        """Open holds on tasks ``agent_id`` holds a claim on."""
        return await self.conn.fetch(
            """SELECT h.* FROM budget_holds h JOIN tasks t ON t.id = h.task_id
               WHERE h.released_at IS NULL AND t.claimed_by = $1 ORDER BY h.task_id""", agent_id)

    async def release(self, task_id: str, by: str, ref: str | None) -> asyncpg.Record | None:
        return await self.conn.fetchrow(
            """UPDATE budget_holds SET released_at = now(), released_by = $2, release_ref = $3
               WHERE task_id = $1 AND released_at IS NULL RETURNING *""", task_id, by, ref)

    async def link_escalation(self, hold_id: str, escalation_id: str) -> None:
        await self.conn.execute("UPDATE budget_holds SET escalation_id = $2 WHERE id = $1", hold_id, escalation_id)

    async def by_escalation(self, escalation_id: str) -> asyncpg.Record | None:
        return await self.conn.fetchrow(
            "SELECT * FROM budget_holds WHERE escalation_id = $1 AND released_at IS NULL", escalation_id)

    async def feed(self, after: str | None, limit: int) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            f"SELECT * FROM ({_FEED}) f WHERE ($1::text IS NULL OR key > $1) ORDER BY key LIMIT $2", after, limit)


class EvaluationStore(Store):
    table, model = "activity_evaluations", ActivityEvaluation

    async def of_activity(self, activity_id: str) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            "SELECT * FROM activity_evaluations WHERE activity_id = $1 ORDER BY created_at, id", activity_id)
