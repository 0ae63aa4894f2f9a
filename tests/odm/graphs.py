"""Helpers of the follow and blocked-dependents tests: a small work graph made through the services, and reads
of the pairs and of the recorded automatic moves."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from odm.domain.commands import ProjectCreate, SprintCreate, TaskCreate, TicketCreate
from odm.services import OdmServices, projects, tasks, tickets

__all__ = ["graph", "moved", "moves", "pairs"]


async def pairs(services: OdmServices, **keys: str) -> dict[str, str]:
    async with services.pool.acquire() as conn:
        return {kind: await conn.fetchval(f"SELECT status_state FROM {kind}s WHERE id = $1", key) for kind, key in keys.items()}


async def moves(services: OdmServices, key: str) -> list[tuple[str, str, str]]:
    async with services.pool.acquire() as conn:
        rows = await conn.fetch("SELECT action, outcome, detail FROM audit_log WHERE target = $1 ORDER BY id", key)
    return [(r["action"], json.loads(r["detail"])["from"], r["outcome"]) for r in rows]


async def graph(services: OdmServices, n: int = 2, *, sprint: bool = True) -> tuple[str, str | None, str, list[str]]:
    project = await projects.create_project(services, ProjectCreate(name="P"))
    sprint_id = None
    if sprint:
        now = datetime.now(UTC)
        sprint_id = (await projects.create_sprint(services, SprintCreate(project_id=project.id, name="S1", start_date=now,
                                                                         end_date=now + timedelta(days=14)))).id
    ticket = await tickets.create_ticket(services, TicketCreate(project_id=project.id, title="T", sprint_id=sprint_id))
    made = [await tasks.create_task(services, TaskCreate(ticket_id=ticket.id, title=f"t{i}", objective="o")) for i in range(n)]
    return project.id, sprint_id, ticket.id, [t.id for t in made]


def moved(effects: list[str]) -> list[str]:
    """The parents' moves among ``effects``, without their reasons."""
    return [e.split(" (")[0] for e in effects if e.split(" ")[0] in ("ticket", "sprint", "project")]


