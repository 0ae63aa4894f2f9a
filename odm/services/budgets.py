"""Budgets that act (§7.4, §7.6): limits, plan vs actual per level, which limits a recording crossed, the
refusals while a task is under a budget hold (made by ``_budget_pause``), its release by a decision or an
override record, and the budget feed the Bus scanner reads."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import asyncpg

from odm.domain.accounting import BudgetOut, BudgetSet, Rollup, crossed, variance
from odm.errors import InvalidArgument
from odm.services._work import Work, dec, need, transactional
from odm.store import decode_cursor, encode_cursor
from servers.kernel.errors import BudgetExceeded

__all__ = ["budget_feed", "check_agent_not_held", "check_not_held", "crossings", "get_budget", "release_hold", "rollup",
           "set_budget"]

FEED_MAX = 1000


def rollup(kind: str, row: asyncpg.Record | dict[str, Any]) -> Rollup:
    """Plan vs actual of one level from its row (tasks carry plan_cost too)."""
    actual = Decimal(row["actual_cost"])
    diff, pct = variance(actual, row.get("plan_cost") if isinstance(row, dict) else row["plan_cost"])
    return Rollup(kind=kind, id=row["id"], actual_cost=actual, cost_incomplete=row["cost_unknown_count"] > 0,
                  plan_cost=row["plan_cost"], cost_variance=diff, cost_variance_pct=pct,
                  budget_status=row["budget_status"])


def budget_fields(kind: str, row: asyncpg.Record) -> dict[str, Any]:
    """What the task/ticket/project views add: variance, variance %, incomplete mark, budget_status."""
    r = rollup(kind, row)
    return {"cost_incomplete": r.cost_incomplete, "cost_variance": r.cost_variance,
            "cost_variance_pct": r.cost_variance_pct, "budget_status": r.budget_status}


def _out(kind: str, row: asyncpg.Record) -> BudgetOut:
    extra = ({"cost_cap": row["cost_cap"]} if kind == "task" else
             {"soft_limit": row["budget_soft_limit"], "hard_limit": row["budget_hard_limit"],
              "warning_threshold_pct": row["budget_warning_pct"]})
    return BudgetOut(**rollup(kind, row).model_dump(), **extra)


@transactional
async def set_budget(w: Work, cmd: BudgetSet) -> BudgetOut:
    """Set plan_cost and limits (omitted ones stay). Raises: NotFound."""
    need(await w.budgets.level(cmd.kind, cmd.id, lock=True), cmd.kind, cmd.id)
    names = {"plan_cost": "plan_cost", "soft_limit": "budget_soft_limit", "hard_limit": "budget_hard_limit",
             "warning_threshold_pct": "budget_warning_pct", "cost_cap": "cost_cap"}
    values = {names[k]: dec(v) for k, v in cmd.model_dump(exclude_none=True, exclude={"kind", "id", "actor"}).items()}
    row = await w.budgets.set_limits(cmd.kind, cmd.id, values)
    if cmd.kind != "task" and None not in (row["budget_soft_limit"], row["budget_hard_limit"]) \
            and row["budget_soft_limit"] > row["budget_hard_limit"]:
        raise InvalidArgument(f"soft_limit {row['budget_soft_limit']} would be above hard_limit {row['budget_hard_limit']}")
    return _out(cmd.kind, row)


@transactional
async def get_budget(w: Work, kind: str, key: str) -> BudgetOut:
    """Raises: NotFound."""
    return _out(kind, need(await w.budgets.level(kind, key), kind, key))


def crossings(row: asyncpg.Record | dict[str, Any]) -> list[tuple[str, str, str, Decimal, Decimal]]:
    """The limits one recording took its totals over: (scope, id, limit kind, limit, actual)."""
    found = []
    if crossed(row["task_before"], row["task_actual"], row["cost_cap"]):
        found.append(("task", row["task_id"], "cost_cap", row["cost_cap"], row["task_actual"]))
    for level, key in (("ticket", row["ticket_id"]), ("sprint", row.get("sprint_id")), ("project", row["project_id"])):
        if key is not None and row.get(f"{level}_actual") is not None \
                and crossed(row[f"{level}_before"], row[f"{level}_actual"], row[f"{level}_hard"]):
            found.append((level, key, "hard_limit", row[f"{level}_hard"], row[f"{level}_actual"]))
    return found


def _held(hold: asyncpg.Record) -> str:
    by = f"escalation {hold['escalation_id']}" if hold["escalation_id"] else f"hold {hold['id']}"
    return (f"task {hold['task_id']} is paused for budget ({hold['scope_type']} {hold['scope_id']} "
            f"{hold['limit_kind'].replace('_', ' ')} {hold['limit_amount']} crossed at {hold['actual_cost']}; {by}); "
            "wait for a decision on it, or an operator forces it on with transition override=true")


async def check_not_held(w: Work, task_id: str) -> None:
    """Raises: BudgetExceeded while the task is under a budget hold."""
    hold = await w.budgets.open_hold(task_id)
    if hold is not None:
        raise BudgetExceeded(_held(hold))


async def check_agent_not_held(w: Work, agent_id: str) -> None:
    """Raises: BudgetExceeded when the agent's claim is on a task under a budget hold (no renewal, no new claim)."""
    holds = await w.budgets.held_claims(agent_id)
    if holds:
        raise BudgetExceeded(_held(holds[0]))


async def release_hold(w: Work, task_id: str, by: str, ref: str | None) -> bool:
    """Release the task's open hold (a decision or an override allowed the work); False if none was open."""
    return await w.budgets.release(task_id, by, ref) is not None


@transactional
async def budget_feed(w: Work, *, cursor: str | None = None, limit: str | None = None) -> dict[str, Any]:
    """The ``odm://feeds/budgets`` page: every level whose budget_status is not within_budget.

    Raises:
        InvalidArgument: a limit that is not a number from 1 to 1000, or a foreign cursor.
    """
    try:
        size = int(limit) if limit not in (None, "") else 200
    except ValueError:
        size = -1
    if not 1 <= size <= FEED_MAX:
        raise InvalidArgument(f"limit must be a number from 1 to {FEED_MAX}, not {limit!r}")
    after = decode_cursor(cursor, 1)
    rows = await w.budgets.feed(after[0] if after else None, size + 1)
    items = [{"id": r["key"], "scope": r["scope"], "scope_id": r["scope_id"], "title": r["title"],
              "planned_cost": float(r["planned_cost"]) if r["planned_cost"] is not None else None,
              "actual_cost": float(r["actual_cost"]), "actual_cost_exact": str(r["actual_cost"]),
              "budget_status": r["budget_status"], "cost_incomplete": r["cost_unknown_count"] > 0,
              "url": f"odm://{r['scope']}s/{r['scope_id']}" if r["scope"] in ("task", "ticket") else None,
              "warned_at": r["updated_at"].isoformat()} for r in rows[:size]]
    return {"items": items, "next_cursor": encode_cursor(items[-1]["id"]) if len(rows) > size else None}
