"""Parents follow their children (``odm.domain.lifecycles.follow``): a ticket its tasks, a sprint and a project
their tickets. Called in the transaction of the child's move, so both commit or neither does.

Lock order is always child, then ticket, then sprint, then project (upward), each ``FOR UPDATE`` before its
children are counted: two transactions finishing the last two tasks of a ticket take the ticket one after
the other, and the second counts after the first committed (READ COMMITTED), so exactly one moves it.
A parent is locked only when a move could be due: a finished or revived child always; a started one only
when a parent is not in execute yet (so claims in a running ticket never queue on its row).
"""

from __future__ import annotations

import asyncpg

from odm.domain.lifecycles import follow_target
from odm.services._work import Work

__all__ = ["follow_groups", "follow_ticket", "parents_running"]


def parents_running(family: asyncpg.Record | None) -> bool:
    """Whether the ticket, its sprint (if any) and its project are all in execute already."""
    if family is None:
        return True
    return all(pair is None or pair.startswith("execute.") for pair in (family["ticket"], family["sprint"], family["project"]))


async def _move(w: Work, kind: str, row: asyncpg.Record, children: list[str], because: str, effects: list[str]) -> bool:
    found = follow_target(kind, row["status_state"], children)
    if found is None:
        return False
    target, why = found
    status, state = target.split(".")
    store = {"ticket": w.tickets, "sprint": w.sprints, "project": w.projects}[kind]
    await store.update(row["id"], status=status, state=state, updated_by="system")
    await w.history.record(kind, row["id"], row["status_state"], target, f"{because}: {why}")
    effects.append(f"{kind} {row['id']} {row['status_state']} -> {target} ({why})")
    return True


async def follow_ticket(w: Work, ticket_id: str, because: str, *, started: bool = False) -> list[str]:
    """Move the ticket (then its sprint and project) where its children now put it; the effects.

    ``started``: the child only started (a claim), so nothing moves while every parent is in execute.
    """
    effects: list[str] = []
    if started and parents_running(await w.tickets.family(ticket_id)):
        return effects
    ticket = await w.tickets.get(ticket_id, lock=True)
    if ticket is None:
        return effects
    moved = await _move(w, "ticket", ticket, await w.tasks.pairs_of_ticket(ticket_id), because, effects)
    if moved or started:
        ticket = await w.tickets.get(ticket_id) or ticket
        effects += await follow_groups(w, ticket["sprint_id"], ticket["project_id"],
                                       f"ticket {ticket_id} is {ticket['status_state']}")
    return effects


async def follow_groups(w: Work, sprint_id: str | None, project_id: str | None, because: str) -> list[str]:
    """Move a sprint, then a project, where their tickets put them (the caller holds the tickets it changed)."""
    effects: list[str] = []
    for kind, column, key in (("sprint", "sprint_id", sprint_id), ("project", "project_id", project_id)):
        if key is None:
            continue
        row = await (w.sprints if kind == "sprint" else w.projects).get(key, lock=True)
        if row is not None:
            await _move(w, kind, row, await w.tickets.pairs_in(column, key), because, effects)
    return effects
