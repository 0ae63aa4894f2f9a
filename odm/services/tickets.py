"""Ticket use cases: create (gap-free 4-digit numbers), import historical 3-digit tickets, update, read, list."""

from __future__ import annotations

from typing import Any

import asyncpg

from odm.domain.commands import TicketCreate, TicketImport, TicketUpdate
from odm.domain.lifecycles import LIFECYCLES
from odm.domain.numbering import ticket_id
from odm.domain.views import EvolutionOut, Page, TaskBrief, TicketDetail, TicketOut
from odm.errors import Conflict, InvalidArgument
from odm.services._work import Work, dec, jsonish, need, transactional
from odm.services.budgets import budget_fields
from odm.services.projects import check_topics, open_project
from odm.store import decode_cursor, encode_cursor

__all__ = ["check_sprint", "create_ticket", "get_ticket", "import_ticket", "list_tickets", "ticket_out", "update_ticket"]

TICKET = LIFECYCLES["ticket"]


def ticket_out(row: asyncpg.Record) -> TicketOut:
    return TicketOut.model_validate(dict(row))


async def check_sprint(w: Work, sprint_id: str | None, project_id: str) -> None:
    if sprint_id is None:
        return
    sprint = need(await w.sprints.get(sprint_id), "sprint", sprint_id)
    if sprint["project_id"] != project_id:
        raise InvalidArgument(f"sprint {sprint_id} belongs to project {sprint['project_id']}, not {project_id}; "
                              "pick a sprint of the ticket's project (list_sprints, --toolsets planning)")


async def _insert(w: Work, cmd: TicketCreate, project: asyncpg.Record, key: str, status: str, state: str,
                  **extra: Any) -> asyncpg.Record:
    await check_topics(w, cmd.topics)
    await check_sprint(w, cmd.sprint_id, project["id"])
    return await w.tickets.insert(
        id=key, project_id=project["id"], sprint_id=cmd.sprint_id, title=cmd.title, description=cmd.description,
        priority=cmd.priority, plan_cost=dec(cmd.plan_cost), plan_duration=dec(cmd.plan_duration),
        topics=list(cmd.topics), required_model=cmd.required_model, required_skills=list(cmd.required_skills),
        status=status, state=state, created_by=cmd.actor, updated_by=cmd.actor, idempotency_key=cmd.idempotency_key,
        **extra,
    )


@transactional
async def create_ticket(w: Work, cmd: TicketCreate) -> TicketOut:
    """Create the next ticket (``1001``, ``1002``, ... with no gap, even under concurrency).

    Raises:
        NotFound (project, topic, sprint), Conflict (closed project), IdempotencyMismatch.
    """
    if cmd.idempotency_key:
        existing = await w.idempotency.begin("create_ticket", cmd.idempotency_key, cmd.fingerprint())
        if existing:
            return ticket_out(await w.tickets.get(existing))
    project = await open_project(w, cmd.project_id, doing="adding a ticket")
    number = await w.tickets.next_number()  # counter row locked until commit: a rollback frees the number
    status, state = TICKET.initial.split(".")
    row = await _insert(w, cmd, project, ticket_id(number), status, state)
    if cmd.idempotency_key:
        await w.idempotency.bind("create_ticket", cmd.idempotency_key, row["id"])
    return ticket_out(row)


@transactional
async def import_ticket(w: Work, cmd: TicketImport) -> TicketOut:
    """Bring in a historical 3-digit ticket (``069``) as it is, in any ticket status/state.

    Raises:
        InvalidArgument (not a ticket pair), Conflict (id taken), NotFound (project).
    """
    pair = f"{cmd.status}.{cmd.state}"
    if pair not in TICKET.pairs:
        raise InvalidArgument(f"{pair} is not a ticket status.state; choose one of {', '.join(TICKET.pairs)}")
    if await w.tickets.exists(cmd.id):
        raise Conflict(f"ticket {cmd.id} exists already; historical tickets are imported once")
    project = await open_project(w, cmd.project_id, doing="importing a ticket")
    row = await _insert(w, cmd, project, cmd.id, cmd.status, cmd.state, historical=True)
    return ticket_out(row)


@transactional
async def update_ticket(w: Work, cmd: TicketUpdate) -> TicketOut:
    """Raises: NotFound (ticket, topic, sprint), InvalidArgument (sprint of another project)."""
    row = need(await w.tickets.get(cmd.id, lock=True), "ticket", cmd.id)
    changes = cmd.model_dump(exclude_none=True, exclude={"id", "actor"})
    await check_topics(w, changes.get("topics", []))
    await check_sprint(w, changes.get("sprint_id"), row["project_id"])
    for money in ("plan_cost", "plan_duration"):
        if money in changes:
            changes[money] = dec(changes[money])
    return ticket_out(await w.tickets.update(cmd.id, **changes, updated_by=cmd.actor))


@transactional
async def get_ticket(w: Work, key: str) -> TicketDetail:
    """The ticket with its tasks, sub-tickets and lineage. Raises: NotFound."""
    row = need(await w.tickets.get(key), "ticket", key)
    return TicketDetail.model_validate(dict(row) | budget_fields("ticket", row) | {
        "sub_ticket_ids": await w.tickets.children(key),
        "tasks": [TaskBrief.model_validate(dict(t)) for t in await w.tickets.task_briefs(key)],
        "lineage": [EvolutionOut.model_validate(jsonish(e)) for e in await w.evolutions.lineage(key)],
    })


@transactional
async def list_tickets(w: Work, *, project_id: str | None = None, sprint_id: str | None = None,
                       status_state: str | None = None, cursor: str | None = None, limit: int = 20) -> Page[TicketOut]:
    """Raises: InvalidArgument (cursor, status_state)."""
    if status_state is not None and status_state not in TICKET.pairs:
        raise InvalidArgument(f"status_state {status_state!r} is not a ticket pair; read odm://lifecycles/ticket")
    after = decode_cursor(cursor, 1)
    if after is not None and not isinstance(after[0], int):
        raise InvalidArgument("cursor is not one this server returned; pass next_cursor from the previous page")
    rows = await w.tickets.page(project_id=project_id, sprint_id=sprint_id, status_state=status_state,
                                after=after[0] if after else None, limit=limit + 1)
    items = [ticket_out(r) for r in rows[:limit]]
    return Page[TicketOut](items=items, next_cursor=encode_cursor(rows[limit - 1]["seq"]) if len(rows) > limit else None)

