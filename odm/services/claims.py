"""Claim use cases: ``next_task`` (claim or renew, atomically), renewal, release, and the expiry sweep."""

from __future__ import annotations

from typing import Any

import asyncpg

from odm.domain.commands import NextTask
from odm.domain.views import ClaimedTask, NextTaskOut
from odm.errors import Conflict
from odm.services._task_moves import move_task
from odm.services._work import Work, need, single_statement, transactional
from odm.services.budgets import check_agent_not_held

__all__ = ["next_task", "release_claims", "renew_claims", "sweep_expired_claims"]

_RETRIES = 3


@single_statement
async def next_task(w: Work, cmd: NextTask) -> NextTaskOut:
    """Give the agent its work: renew the claim it holds, else claim the best ready task.

    Best = all dependencies complete, not at a human gate, not claimed; most urgent priority,
    then ticket order, then sequence. One statement claims it, so no task goes to two agents.

    Raises:
        NotFound: ``project_id`` names no project. BudgetExceeded: the agent's claimed task is paused for budget.
    """
    await check_agent_not_held(w, cmd.agent_id)
    rows = await _claim(w, cmd)
    if not rows and await w.claims.sweep_expired():
        rows = await _claim(w, cmd)
    if not rows:
        return await _nothing(w, cmd)
    row = rows[0]
    task = ClaimedTask.model_validate(dict(row))
    verb = "renewed your claim on" if row["renewed"] else "claimed"
    note = (f"{verb} task {row['id']} until {row['claim_expires_at'].isoformat()}; pass claim_token "
            f"{row['claim_token']} to update_task/transition, call next_task again before the lease ends to keep it")
    if len(rows) > 1:
        note += f"; also renewed {', '.join(r['id'] for r in rows[1:])}"
    return NextTaskOut(task=task, claim_token=row["claim_token"], lease_expires_at=row["claim_expires_at"],
                       renewed=row["renewed"], note=note)


async def _claim(w: Work, cmd: NextTask) -> list[asyncpg.Record]:
    for attempt in range(1, _RETRIES + 1):
        try:
            return await w.claims.claim_or_renew(cmd.agent_id, cmd.project_id, cmd.lease_seconds)
        except asyncpg.DeadlockDetectedError:
            if attempt == _RETRIES:
                raise Conflict("the work graph changed concurrently; call next_task again") from None
    raise AssertionError("unreachable")


async def _nothing(w: Work, cmd: NextTask) -> NextTaskOut:
    if cmd.project_id is not None:
        need(await w.projects.get(cmd.project_id), "project", cmd.project_id)
    counts = await w.claims.waiting_counts(cmd.project_id)
    where = f" in project {cmd.project_id}" if cmd.project_id else ""
    waiting = ", ".join(f"{n} {pair}" for pair, n in counts.items()) or "none open"
    note = (f"no ready task{where}; open tasks by status_state: {waiting}. Tasks at approval.waiting or "
            "discussion.waiting need a human; plan.queued ones wait on their dependencies")
    return NextTaskOut(task=None, claim_token=None, lease_expires_at=None, renewed=False, note=note)


@transactional
async def renew_claims(w: Work, agent_id: str, lease_seconds: int | None = None) -> list[dict[str, Any]]:
    """Extend every live claim of ``agent_id`` (what a heartbeat does) by ``lease_seconds``, or by each
    claim's own lease; returns id, token and new expiry.

    Raises:
        BudgetExceeded: one of its claims is on a task paused for budget (no lease is extended then).
    """
    await check_agent_not_held(w, agent_id)
    return [dict(r) for r in await w.claims.renew(agent_id, lease_seconds)]


@transactional
async def release_claims(w: Work, agent_id: str) -> list[str]:
    """Drop every claim ``agent_id`` holds (e.g. it died): running tasks return to ready, others keep their state."""
    released = []
    for row in await w.claims.held_by(agent_id):
        if row["status_state"] == "execute.active":
            await move_task(w, row, "ready.ready")
        else:
            await w.tasks.update(row["id"], claimed_by=None, claimed_at=None, claim_expires_at=None)
        released.append(row["id"])
    return released


@transactional
async def sweep_expired_claims(w: Work) -> list[str]:
    """Return tasks whose lease ran out to ``ready.ready``."""
    return await w.claims.sweep_expired()
