"""Ticket evolution (§11): split, spawn_subticket, merge, reassign, defer, cancel, revive.

Each action runs in one transaction and writes one append-only evolution record naming the
tickets it produced or touched and the tasks it moved, paused, cancelled or restored. Planned
cost and duration move with the work: after a split, the source and its parts add up to what
the source had; after a merge the target holds both plans. Actual cost and duration stay where they were
spent: a ticket keeps what its tasks spent while they were its own (the roll-up is added at recording time),
and what a moved task spends afterwards rolls into its new ticket. Tasks keep their ids and edges.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import asyncpg

from odm.domain.commands import EvolveTicket
from odm.domain.numbering import subticket_id
from odm.domain.rules import allocate
from odm.domain.views import EvolutionResult, TicketPlan
from odm.errors import Conflict, InvalidArgument, InvalidTransition
from odm.services._task_moves import move_task, place, route_task
from odm.services._work import Work, dec, dumps, jsonish, need, transactional
from odm.services.projects import open_project
from odm.services.tickets import TICKET, check_sprint

__all__ = ["evolve_ticket"]

_Outcome = tuple[list[str], Any, dict[str, Any]]  # target tickets, task ids (list or id map), details

_ONLY = {"parts": ("split", "spawn_subticket"), "target_ticket_id": ("merge",),
         "project_id": ("reassign",), "sprint_id": ("reassign",)}
_PAUSE = {"plan.draft": "plan.paused", "plan.queued": "plan.paused", "ready.ready": "ready.paused",
          "execute.ready": "execute.paused", "execute.active": "execute.paused"}
_UNPAUSE = {"plan.paused": "plan.queued", "ready.paused": "plan.queued", "execute.paused": "execute.ready"}


@transactional
async def evolve_ticket(w: Work, cmd: EvolveTicket) -> EvolutionResult:
    """Raises: NotFound, InvalidArgument, InvalidTransition (action not possible from the ticket's state), Conflict."""
    for field, actions in _ONLY.items():
        if getattr(cmd, field) not in (None, []) and cmd.action not in actions:
            raise InvalidArgument(f"{field} is only for action {' or '.join(actions)}; drop it for {cmd.action}")
    source = need(await w.tickets.get(cmd.ticket_id, lock=True), "ticket", cmd.ticket_id)
    act = {"split": _split, "spawn_subticket": _split, "merge": _merge, "reassign": _reassign,
           "defer": _pause_or_cancel, "cancel": _pause_or_cancel, "revive": _revive}[cmd.action]
    targets, task_ids, details = await act(w, source, cmd)
    record = await w.evolutions.insert(
        source_ticket_id=source["id"], action=cmd.action, target_ticket_ids=targets, task_ids=task_ids,
        reason=cmd.reason, initiated_by=cmd.initiated_by, details=dumps(details), created_by=cmd.actor,
    )
    tickets = [TicketPlan.model_validate(dict(need(await w.tickets.get(k), "ticket", k))) for k in (source["id"], *targets)]
    return EvolutionResult(id=record["id"], action=cmd.action, target_ticket_ids=targets, task_ids=task_ids,
                           tickets=tickets)


def _open(ticket: asyncpg.Record, action: str) -> None:
    if ticket["status"] in ("complete", "archive"):
        raise Conflict(f"ticket {ticket['id']} is {ticket['status_state']}; it cannot be {action} "
                       "(revive a cancelled ticket first)")


async def _own_tasks(w: Work, ticket: asyncpg.Record, wanted: list[str]) -> None:
    own = {t["id"] for t in await w.tasks.of_ticket(ticket["id"])}
    stray = [t for t in wanted if t not in own]
    if stray:
        raise InvalidArgument(f"task {', '.join(stray)} is not in ticket {ticket['id']}; odm://tickets/{ticket['id']} lists its tasks")
    if len(set(wanted)) != len(wanted):
        raise InvalidArgument("a task may go to one part only")


async def _split(w: Work, source: asyncpg.Record, cmd: EvolveTicket) -> _Outcome:
    split = cmd.action == "split"
    if (len(cmd.parts) < 2) if split else (len(cmd.parts) != 1):
        raise InvalidArgument(f"{cmd.action} needs {'at least 2 parts' if split else 'exactly 1 part'} "
                              "(each {title, task_ids, plan_cost, plan_duration})")
    _open(source, "split")
    moved = [t for part in cmd.parts for t in part.task_ids]
    await _own_tasks(w, source, moved)
    costs, cost_kept = allocate(source["plan_cost"], [dec(p.plan_cost) for p in cmd.parts], share_rest=split,
                                what="plan_cost")
    times, time_kept = allocate(source["plan_duration"], [dec(p.plan_duration) for p in cmd.parts], share_rest=split,
                                what="plan_duration")
    start = source["status_state"] if TICKET.route(TICKET.initial, source["status_state"]) else TICKET.initial
    targets = []
    for part, cost, time in zip(cmd.parts, costs, times, strict=True):
        number = need(await w.tickets.bump(source["id"], "child_counter"), "ticket", source["id"])["child_counter"]
        status, state = start.split(".")
        child = await w.tickets.insert(
            id=subticket_id(source["id"], number), project_id=source["project_id"], sprint_id=source["sprint_id"],
            parent_ticket_id=source["id"], topics=source["topics"], title=part.title, description=part.description,
            priority=source["priority"], required_model=source["required_model"],
            required_skills=source["required_skills"], plan_cost=cost, plan_duration=time, status=status, state=state,
            created_by=cmd.actor, updated_by=cmd.actor,
        )
        await w.tasks.move(list(part.task_ids), child["id"], child["seq"], child["project_id"])
        targets.append(child["id"])
    await w.tickets.update(source["id"], plan_cost=cost_kept, plan_duration=time_kept)
    details = {"plan_cost": _plan(source["plan_cost"], cost_kept, targets, costs),
               "plan_duration": _plan(source["plan_duration"], time_kept, targets, times),
               "moved": {t: k for part, k in zip(cmd.parts, targets, strict=True) for t in part.task_ids}}
    return targets, moved, details


def _plan(before: Decimal | None, kept: Decimal | None, targets: list[str], parts: list[Decimal | None]) -> dict[str, Any]:
    def text(v: Decimal | None) -> str | None:  # exact decimals in the record
        return None if v is None else str(v)

    return {"before": text(before), "kept": text(kept), "parts": {k: text(v) for k, v in zip(targets, parts, strict=True)}}


async def _merge(w: Work, source: asyncpg.Record, cmd: EvolveTicket) -> _Outcome:
    if not cmd.target_ticket_id:
        raise InvalidArgument("merge needs target_ticket_id: the ticket this one merges into")
    if cmd.target_ticket_id == source["id"]:
        raise InvalidArgument("a ticket cannot merge into itself; name another target_ticket_id")
    target = need(await w.tickets.get(cmd.target_ticket_id, lock=True), "ticket", cmd.target_ticket_id)
    if target["project_id"] != source["project_id"]:
        raise InvalidArgument(f"ticket {target['id']} is in project {target['project_id']}, not {source['project_id']}; "
                              "reassign one of them first")
    _open(target, "merged into")
    TICKET.check(source["status_state"], "complete.cancelled", subject=f"ticket {source['id']}", via="merge")
    tasks = [t["id"] for t in await w.tasks.of_ticket(source["id"])]
    await w.tasks.move(tasks, target["id"], target["seq"], target["project_id"])
    await w.tickets.add_plan(target["id"], source["plan_cost"], source["plan_duration"])
    zero = {k: Decimal(0) for k in ("plan_cost", "plan_duration") if source[k] is not None}
    await w.tickets.update(source["id"], status="complete", state="cancelled", **zero)
    details = {"plan_cost": str(source["plan_cost"]) if source["plan_cost"] is not None else None,
               "plan_duration": str(source["plan_duration"]) if source["plan_duration"] is not None else None,
               "merged_into": target["id"]}
    return [target["id"]], tasks, details


async def _reassign(w: Work, source: asyncpg.Record, cmd: EvolveTicket) -> _Outcome:
    if cmd.project_id is None and cmd.sprint_id is None:
        raise InvalidArgument("reassign needs project_id and/or sprint_id")
    if source["status"] == "archive":
        raise Conflict(f"ticket {source['id']} is archived; it cannot be reassigned")
    project_id = source["project_id"]
    if cmd.project_id and cmd.project_id != project_id:
        project_id = (await open_project(w, cmd.project_id, doing="receiving a ticket"))["id"]
    sprint_id = cmd.sprint_id if cmd.sprint_id else (source["sprint_id"] if project_id == source["project_id"] else None)
    await check_sprint(w, sprint_id, project_id)
    await w.tickets.update(source["id"], project_id=project_id, sprint_id=sprint_id)
    await w.tasks.set_project_of_ticket(source["id"], project_id)
    tasks = [t["id"] for t in await w.tasks.of_ticket(source["id"])]
    details = {"from": {"project_id": source["project_id"], "sprint_id": source["sprint_id"]},
               "to": {"project_id": project_id, "sprint_id": sprint_id}}
    return [], tasks, details


async def _pause_or_cancel(w: Work, source: asyncpg.Record, cmd: EvolveTicket) -> _Outcome:
    target = "plan.waiting" if cmd.action == "defer" else "complete.cancelled"
    TICKET.check(source["status_state"], target, subject=f"ticket {source['id']}", via=cmd.action)
    touched: dict[str, str] = {}
    for task in await w.tasks.of_ticket(source["id"], lock=True):
        pair = task["status_state"]
        goal = _PAUSE.get(pair) if cmd.action == "defer" else (None if task["status"] == "complete" else "complete.cancelled")
        if goal is None:
            continue
        status, state = goal.split(".")
        await w.tasks.set_pair(task["id"], status, state, clear_claim=True, activate=False)
        touched[task["id"]] = pair
    status, state = target.split(".")
    await w.tickets.update(source["id"], status=status, state=state)
    return [], list(touched), {"tasks": touched}


async def _revive(w: Work, source: asyncpg.Record, cmd: EvolveTicket) -> _Outcome:
    edge = TICKET.check(source["status_state"], "plan.queued", subject=f"ticket {source['id']}", via="revive")
    if "revive" not in edge.via:
        raise InvalidTransition(f"ticket {source['id']} is {source['status_state']}; only a deferred (plan.waiting) or "
                                "cancelled ticket can be revived")
    last = await w.evolutions.latest(source["id"], ("defer", "cancel"))
    restored = []
    for key, _before in (jsonish(last)["details"].get("tasks", {}) if last else {}).items():
        task = await w.tasks.get(key, lock=True)
        if task is None or task["ticket_id"] != source["id"]:
            continue
        if task["status_state"] == "complete.cancelled":
            await move_task(w, task, "plan.queued", via="revive")
        elif task["status_state"] in _UNPAUSE:
            moved = await route_task(w, task, _UNPAUSE[task["status_state"]])
            if moved["status_state"] == "plan.queued":
                await place(w, moved)
        else:
            continue
        restored.append(key)
    await w.tickets.update(source["id"], status="plan", state="queued")
    return [], restored, {"restored_from": last["id"] if last else None}
