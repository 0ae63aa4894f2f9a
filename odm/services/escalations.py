"""Escalations and human decisions (§4.11, §4.12, §5.6, §9): escalate a task to a human gate, decide (an
immutable Human Decision that resumes the task by the §5.6 resume rule), expire what is past due.

``open_escalation`` and ``open_budget_escalation`` run inside a caller's unit of work (the budget code of
record_activity opens its escalation in the same transaction as the crossing activity).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import asyncpg

from odm.domain.escalations import (
    GATES,
    Decide,
    Escalate,
    EscalationResult,
    allowed_decisions,
    check_decision,
    gate_of,
    in_progress,
    resume_target,
)
from odm.domain.lifecycles import LIFECYCLES
from odm.errors import Conflict, InvalidArgument, InvalidTransition
from odm.services._task_moves import move_task
from odm.services._work import Work, need, transactional
from odm.services.budgets import release_hold

__all__ = ["decide", "escalate", "expire_escalations", "open_budget_escalation", "open_escalation"]

ESCALATION = LIFECYCLES["escalation"]
POSTPONE_DEFAULT = timedelta(hours=24)
for _open in ("discussion.waiting", "discussion.active", "approval.waiting", "approval.active"):
    ESCALATION.check(_open, "complete.expired", subject="expiry", via="expire")  # what expire_due does in SQL
    ESCALATION.check(_open, "complete.cancelled", subject="withdrawal")  # and cancel_withdrawn


@transactional
async def escalate(w: Work, cmd: Escalate) -> EscalationResult:
    """Open an escalation on a task and move the task to its human gate.

    Raises:
        NotFound (task), InvalidTransition (task not in progress), Conflict (already escalated), InvalidArgument (due_at).
    """
    task = need(await w.tasks.get(cmd.task_id, lock=True), "task", cmd.task_id)
    row, effects = await open_escalation(w, task, cmd)
    return await _out(w, row, effects)


async def open_escalation(w: Work, task: asyncpg.Record, cmd: Escalate,
                          activity_id: str | None = None) -> tuple[asyncpg.Record, list[str]]:
    """Open the request on the (locked) ``task`` row inside the caller's transaction; returns it and the effects.

    Raises:
        InvalidTransition, Conflict, InvalidArgument: as ``escalate``.
    """
    key, pair = task["id"], task["status_state"]
    gate = gate_of(cmd.trigger_type)
    existing = await w.escalations.open_for_task(key)
    if existing is not None:
        raise Conflict(f"task {key} already waits on escalation {existing['id']} ({existing['status_state']}); "
                       f"decide it first (read odm://escalations/{existing['id']})")
    now = await w.now()
    if cmd.due_at is not None and cmd.due_at <= now:
        raise InvalidArgument(f"due_at {cmd.due_at.isoformat()} is in the past; give a later time or omit it")
    effects: list[str] = []
    if in_progress(pair):
        moved, effects = await move_task(w, task, gate)
        effects.insert(0, f"task {key} moved from {pair} to {moved['status_state']}")
    elif pair in GATES:
        if pair != gate:
            raise InvalidTransition(f"task {key} waits at {pair}, so a {cmd.trigger_type} escalation (gate {gate}) "
                                    f"cannot be opened on it; escalate with a trigger_type of its gate")
        effects.append(f"task {key} already waits at {pair}")
    else:
        raise InvalidTransition(f"task {key} is {pair}, not in progress: escalate a task that is being worked on "
                                "(execute, review, test or recover) or one waiting at a human gate")
    ESCALATION.check(ESCALATION.initial, gate, subject="escalation", via="escalate")
    status, state = gate.split(".")
    row = await w.escalations.insert(
        agent_runtime_id=cmd.agent_id or task["claimed_by"], task_id=key, ticket_id=task["ticket_id"],
        activity_id=activity_id, trigger_type=cmd.trigger_type, urgency=cmd.urgency, summary=cmd.summary,
        questions=list(cmd.questions), options=list(cmd.options), recommended_option=cmd.recommended_option,
        context_bundle_ref=cmd.context_bundle_ref, allowed_decisions=list(allowed_decisions(cmd.trigger_type)),
        task_resume_from=pair if pair not in GATES else None, due_at=cmd.due_at, status=status, state=state,
        created_by=w.actor(cmd.agent_id or task["claimed_by"]),
    )
    return row, effects


async def open_budget_escalation(w: Work, task_id: str, summary: str, *, activity_id: str | None = None,
                                 urgency: str = "high") -> tuple[asyncpg.Record, list[str]]:
    """Pause ``task_id`` for budget (approval.waiting) with a ``budget`` escalation, inside the caller's
    transaction; an open escalation on the task is returned as it is (crossing twice opens one request).

    Raises:
        NotFound (task), InvalidTransition (task neither in progress nor at its approval gate).
    """
    task = need(await w.tasks.get(task_id, lock=True), "task", task_id)
    existing = await w.escalations.open_for_task(task_id)
    if existing is not None:
        return existing, [f"task {task_id} already waits on escalation {existing['id']}"]
    cmd = Escalate(task_id=task_id, summary=summary[:2000], trigger_type="budget", urgency=urgency)
    return await open_escalation(w, task, cmd, activity_id=activity_id)


@transactional
async def decide(w: Work, cmd: Decide) -> EscalationResult:
    """Record the human decision on an escalation (immutable) and resume its task by the §5.6 resume rule.

    Raises:
        NotFound, Conflict (already decided, expired or cancelled), InvalidArgument (type, option, constraints, due_at).
    """
    esc = need(await w.escalations.get(cmd.escalation_id, lock=True), "escalation", cmd.escalation_id)
    key = esc["id"]
    if esc["state"] not in ("queued", "waiting", "active"):
        raise Conflict(await _closed_reason(w, esc))
    now = await w.now()
    check_decision(escalation_id=key, allowed=list(esc["allowed_decisions"]), options=list(esc["options"]),
                   decision_type=cmd.decision_type, selected_option=cmd.selected_option,
                   constraints=list(cmd.constraints), reject_to=cmd.reject_to, postpone_until=cmd.due_at, now=now)
    task = await w.tasks.get(esc["task_id"], lock=True) if esc["task_id"] else None
    effects: list[str] = []
    if cmd.decision_type == "postpone":
        until = cmd.due_at or now + POSTPONE_DEFAULT
        await w.escalations.update(key, due_at=until)
        decision = await _record(w, cmd, esc, task, resumed_to=None, postponed_until=until)
        effects.append(f"escalation {key} stays {esc['status_state']} until {until.isoformat()}")
        return await _out(w, need(await w.escalations.get(key), "escalation", key), effects, decision)
    if esc["trigger_type"] == "budget" and esc["task_id"]:  # a final decision ends the budget pause
        await release_hold(w, esc["task_id"], cmd.created_by, key)
    resumed = await _resume(w, cmd, esc, task, effects)
    decision = await _record(w, cmd, esc, task, resumed_to=resumed, postponed_until=None)
    status = esc["status"]
    ESCALATION.check(esc["status_state"], f"{status}.responded", subject=f"escalation {key}", via="decide")
    row = await w.escalations.set_pair(key, status, "responded", resolved=True)
    if resumed is not None:
        row = await w.escalations.set_pair(key, "complete", "completed", resolved=True)
    if esc["trigger_type"] == "budget":
        effects.append(f"budget hold on task {esc['task_id']} released by the decision")
    return await _out(w, row, effects, decision)


async def _resume(w: Work, cmd: Decide, esc: asyncpg.Record, task: asyncpg.Record | None,
                  effects: list[str]) -> str | None:
    if task is None:
        return None
    key, pair = task["id"], task["status_state"]
    if pair not in GATES:
        effects.append(f"task {key} is {pair}, no longer at its gate: decision recorded, task left as it is")
        return None
    target = resume_target(cmd.decision_type, resume_from=esc["task_resume_from"], claimed=task["claimed_by"] is not None,
                           reject_to=cmd.reject_to)
    assert target is not None  # postpone returned earlier
    attached = list(cmd.constraints)
    rework = cmd.decision_type == "reject" and cmd.reject_to == "rework"
    if cmd.message and (cmd.decision_type in ("answer", "redirect") or rework):
        attached.append(f"{'rework' if rework else cmd.decision_type} ({esc['id']}): {cmd.message}")
    if attached and target != "complete.cancelled":
        await w.tasks.add_constraints(key, attached)
        effects.append(f"{len(attached)} constraint(s) attached to task {key} for its next claimer")
    moved, more = await move_task(w, task, target)
    effects.insert(0, f"task {key} moved from {pair} to {moved['status_state']}")
    effects.extend(more)
    return str(moved["status_state"])


async def _record(w: Work, cmd: Decide, esc: asyncpg.Record, task: asyncpg.Record | None, *, resumed_to: str | None,
                  postponed_until: datetime | None) -> str:
    try:
        row = await w.decisions.insert(
            escalation_request_id=esc["id"], decision_type=cmd.decision_type, selected_option=cmd.selected_option,
            message=cmd.message, constraints=list(cmd.constraints),
            applies_to_runtime_id=task["claimed_by"] if task is not None else None,
            applies_to_task_id=esc["task_id"], task_resumed_to=resumed_to, postponed_until=postponed_until,
            created_by=cmd.created_by,
        )
    except asyncpg.UniqueViolationError:  # a concurrent decider won (the row lock normally serialises them first)
        raise Conflict(f"escalation {esc['id']} was decided concurrently; read odm://escalations/{esc['id']}") from None
    return str(row["id"])


async def _closed_reason(w: Work, esc: asyncpg.Record) -> str:
    key = esc["id"]
    final = [d for d in await w.decisions.of_escalation(key) if d["decision_type"] != "postpone"]
    if final:
        d = final[-1]
        return (f"escalation {key} was already decided ({d['decision_type']} by {d['created_by']} at "
                f"{d['created_at'].isoformat()}); a human decision is final: read odm://escalations/{key}")
    return (f"escalation {key} is {esc['status_state']} and takes no decision; escalate the task again "
            "if it still needs a human")


async def _out(w: Work, row: asyncpg.Record, effects: list[str], decision_id: str | None = None) -> EscalationResult:
    if decision_id:
        effects = [f"human decision {decision_id} recorded", *effects]
    return EscalationResult.model_validate(dict(row) | {"effects": effects})


@transactional
async def expire_escalations(w: Work) -> list[str]:
    """Escalations past their due time expire (complete.expired; their tasks stay at the gate for a new request),
    and open ones whose task left its gate another way (an override) are withdrawn (complete.cancelled)."""
    return [r["id"] for r in [*await w.escalations.expire_due(), *await w.escalations.cancel_withdrawn()]]
