"""The pause of a task whose cost_cap, or a hard limit above it, a recording crossed (§7.6): a budget hold and a
``budget`` escalation (odm.services.escalations) in the recording's own transaction; the activity stays recorded."""

from __future__ import annotations

from decimal import Decimal

from odm.errors import InvalidTransition
from odm.services import escalations
from odm.services._work import Work, need

__all__ = ["pause_for_budget"]

PAUSED = "approval.waiting"


async def pause_for_budget(w: Work, task_id: str, activity_id: str,
                           crossing: tuple[str, str, str, Decimal, Decimal]) -> str:
    """Put the task in approval.waiting (its claim kept, its lease no longer renewed) under a budget hold with a
    budget escalation for a human to decide, unless a hold is open already; returns what the recorder is told."""
    scope, scope_id, limit_kind, limit, actual = crossing
    what = f"{scope} {scope_id} {limit_kind.replace('_', ' ')} {limit} (actual {actual})"
    existing = await w.budgets.open_hold(task_id)
    if existing is not None:
        return f"task {task_id} stays paused for budget ({what})"
    task = need(await w.tasks.get(task_id, lock=True), "task", task_id)
    hold = await w.budgets.insert(task_id=task_id, scope_type=scope, scope_id=scope_id, limit_kind=limit_kind,
                                  limit_amount=limit, actual_cost=actual, activity_id=activity_id,
                                  prior_state=task["status_state"])
    summary = (f"Budget: activity {activity_id} took {what} over its limit; task {task_id} is paused. Approve to "
               "let it continue (raise the cap first with set_budget, --toolsets accounting, if it should), or reject to stop it.")
    try:
        escalation, _ = await escalations.open_budget_escalation(w, task_id, summary, activity_id=activity_id)
    except InvalidTransition:  # e.g. the task waits at its discussion gate: the hold alone pauses it
        escalation = None
    if escalation is not None:
        await w.budgets.link_escalation(hold["id"], escalation["id"])
    moved = need(await w.tasks.get(task_id), "task", task_id)
    if moved["status_state"] != PAUSED and moved["status"] not in ("discussion", "approval"):
        await w.tasks.set_pair(task_id, "approval", "waiting", clear_claim=False, activate=False)
    by = f"escalation {escalation['id']}" if escalation is not None else f"hold {hold['id']}"
    return (f"task {task_id} is now paused for budget in {PAUSED}: {what} crossed ({by}); further work on it is "
            "refused with [budget_exceeded] until a decision on it (decide) or an override allows it")
