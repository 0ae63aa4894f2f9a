"""The ``transition`` use case for every lifecycle-bearing kind, and forced moves with Override Records."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import asyncpg

from odm.domain.commands import Transition
from odm.domain.lifecycles import LIFECYCLES
from odm.domain.rules import override_type
from odm.domain.views import OverrideOut, TransitionOut
from odm.errors import InvalidTransition
from odm.services._parents import follow_groups
from odm.services._task_moves import check_claim, move_task
from odm.services._work import Work, dumps, jsonish, need, transactional
from odm.services.budgets import release_hold
from odm.services.knowledge import check_research_move
from odm.store import Store

__all__ = ["list_overrides", "transition"]

_REVIEW_DAYS = {"weekly": 7, "monthly": 30, "quarterly": 91}


def _store(w: Work, kind: str) -> Store:
    return {"project": w.projects, "sprint": w.sprints, "ticket": w.tickets, "task": w.tasks,
            "discussion_thread": w.threads, "idea": w.ideas, "research_task": w.research,
            "knowledge_object": w.knowledge}[kind]


@transactional
async def transition(w: Work, cmd: Transition) -> TransitionOut:
    """Move one object to another (status, state) the lifecycle table allows; ``override`` forces it.

    Raises:
        NotFound, InvalidTransition (refused; names the allowed next pairs), Conflict (stale claim token).
    """
    lc = LIFECYCLES[cmd.kind]
    row = need(await _store(w, cmd.kind).get(cmd.id, lock=True), cmd.kind, cmd.id)
    subject, source = f"{cmd.kind} {cmd.id}", row["status_state"]
    target = lc.resolve(source, cmd.status, cmd.state, subject=subject)
    if target == source:
        raise InvalidTransition(f"{subject} is already {source}; allowed next: {lc.describe_next(source)}")
    if cmd.override:
        if target not in lc.pairs:
            raise InvalidTransition(f"{subject}: {target} is not a {cmd.kind} status.state even by override; "
                                    f"the pairs are {', '.join(lc.pairs)}")
    else:
        lc.check(source, target, subject=subject)
        if cmd.kind == "research_task":
            check_research_move(row, target)
    effects: list[str] = []
    if cmd.kind == "task":
        check_claim(row, cmd.claim_token)
        row, effects = await move_task(w, row, target, override=cmd.override)
    else:
        row = await _move_other(w, cmd.kind, row, target, effects)
    override_id = None
    if cmd.override:
        record = await w.overrides.insert(
            scope_type=cmd.kind, scope_ref=cmd.id, override_type=override_type(source, target),
            reason=cmd.reason, issued_by=w.actor(cmd.actor), prior_state_ref=source, applied_change_ref=target,
            override_params=dumps({"kind": cmd.kind, "from": source, "to": target}), created_by=cmd.actor,
        )
        override_id = record["id"]
        effects.append(f"override record {override_id} written")
        if cmd.kind == "task" and await release_hold(w, cmd.id, w.actor(cmd.actor), override_id):
            effects.append(f"budget hold on {cmd.id} released by the override")
    status, state = target.split(".")
    return TransitionOut(kind=cmd.kind, id=cmd.id, previous=source, status=status, state=state, status_state=target,
                         override_record_id=override_id, effects=effects)


async def _move_other(w: Work, kind: str, row: asyncpg.Record, target: str, effects: list[str]) -> asyncpg.Record:
    status, state = target.split(".")
    extra: dict[str, Any] = {}
    if kind == "discussion_thread" and status == "complete":
        extra["closed_at"] = await w.now()
    if kind == "research_task" and status == "complete":
        extra["completed_at"] = await w.now()
    if kind == "idea":
        now = await w.now()
        extra["last_reviewed_at"] = now
        days = _REVIEW_DAYS.get(row["review_cycle"] or "")
        if status in ("new", "deferred") and days:
            extra["next_review_at"] = now + timedelta(days=days)
    moved = await _store(w, kind).update(row["id"], status=status, state=state, **extra)
    if kind == "project" and status == "complete":
        left = await w.roster.leave(row["id"])
        if left:
            effects.append(f"roster archived ({left} agents freed)")
    if kind == "ticket":  # its sprint and project follow (the ticket row is locked: child before parents)
        effects += await follow_groups(w, row["sprint_id"], row["project_id"], f"ticket {row['id']} {row['status_state']} -> {target}")
    return moved


@transactional
async def list_overrides(w: Work, *, scope_type: str | None = None, scope_ref: str | None = None,
                         limit: int = 20) -> list[OverrideOut]:
    return [OverrideOut.model_validate(jsonish(r)) for r in await w.overrides.for_scope(scope_type, scope_ref, limit)]
