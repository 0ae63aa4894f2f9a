"""Project, roster and sprint use cases (§4.2, §4.2.1, §4.3)."""

from __future__ import annotations

import asyncpg

from odm.domain.commands import ProjectCreate, ProjectUpdate, RosterSet, SprintCreate
from odm.domain.lifecycles import LIFECYCLES
from odm.domain.views import Page, ProjectDetail, ProjectOut, RosterMember, SprintOut
from odm.errors import Conflict, InvalidArgument, NotFound
from odm.services._work import Work, need, transactional
from odm.services.budgets import budget_fields
from odm.store import decode_cursor, encode_cursor

__all__ = [
    "create_project", "create_sprint", "get_project", "list_projects", "list_sprints", "open_project",
    "remove_roster_member", "set_roster_member", "update_project",
]

_CLOSED = ("complete", "archive")


async def open_project(w: Work, key: str, *, doing: str) -> asyncpg.Record:
    """The project ``key`` if work may still be added to it.

    Raises:
        NotFound: no such project. Conflict: it is complete or archived.
    """
    project = need(await w.projects.get(key), "project", key)
    if project["status"] in _CLOSED:
        raise Conflict(f"project {key} is {project['status_state']}; {doing} needs an open project")
    return project


async def check_topics(w: Work, topics: list[str]) -> None:
    missing = await w.topics.missing(list(topics)) if topics else []
    if missing:
        raise NotFound(f"no topic {', '.join(missing)}; create it with create_topic or find ids with list_topics (--toolsets planning)")


@transactional
async def create_project(w: Work, cmd: ProjectCreate) -> ProjectOut:
    """Create a project, or a sub-project of a top-level one (one level of nesting only).

    Raises:
        NotFound (parent, topic), InvalidArgument (nesting), Conflict (closed parent), IdempotencyMismatch.
    """
    if cmd.idempotency_key:
        existing = await w.idempotency.begin("create_project", cmd.idempotency_key, cmd.fingerprint())
        if existing:
            return ProjectOut.model_validate(dict(need(await w.projects.get(existing), "project", existing)))
    if cmd.parent_project_id:
        parent = await open_project(w, cmd.parent_project_id, doing="adding a sub-project")
        if parent["parent_project_id"]:
            raise InvalidArgument(
                f"project {parent['id']} is itself a sub-project of {parent['parent_project_id']}; only one level "
                f"of nesting is allowed, so use parent_project_id={parent['parent_project_id']}"
            )
    await check_topics(w, cmd.topics)
    status, state = LIFECYCLES["project"].initial.split(".")
    row = await w.projects.insert(
        name=cmd.name, description=cmd.description, parent_project_id=cmd.parent_project_id, topics=list(cmd.topics),
        lifecycle_phase=cmd.lifecycle_phase, status=status, state=state, created_by=cmd.actor, updated_by=cmd.actor,
        idempotency_key=cmd.idempotency_key,
    )
    if cmd.idempotency_key:
        await w.idempotency.bind("create_project", cmd.idempotency_key, row["id"])
    return ProjectOut.model_validate(dict(row))


@transactional
async def update_project(w: Work, cmd: ProjectUpdate) -> ProjectOut:
    """Raises: NotFound (project, topic)."""
    need(await w.projects.get(cmd.id, lock=True), "project", cmd.id)
    changes = cmd.model_dump(exclude_none=True, exclude={"id", "actor"})
    await check_topics(w, changes.get("topics", []))
    row = need(await w.projects.update(cmd.id, **changes, updated_by=cmd.actor), "project", cmd.id)
    return ProjectOut.model_validate(dict(row))


@transactional
async def get_project(w: Work, key: str) -> ProjectDetail:
    """Raises: NotFound."""
    row = need(await w.projects.get(key), "project", key)
    return ProjectDetail.model_validate(dict(row) | budget_fields("project", row) | {
        "roster": [RosterMember.model_validate(dict(r)) for r in await w.roster.current(key)],
        "sub_project_ids": await w.projects.children(key),
        "tickets_by_status_state": await w.projects.ticket_counts(key),
    })


@transactional
async def list_projects(w: Work, *, parent_project_id: str | None = None, status_state: str | None = None,
                        cursor: str | None = None, limit: int = 20) -> Page[ProjectOut]:
    """Raises: InvalidArgument (cursor)."""
    rows = await w.projects.page(parent_project_id=parent_project_id, status_state=status_state,
                                 after=decode_cursor(cursor, 2), limit=limit + 1)
    items = [ProjectOut.model_validate(dict(r)) for r in rows[:limit]]
    last = items[-1].id if items else ""
    return Page[ProjectOut](items=items, next_cursor=encode_cursor(len(last), last) if len(rows) > limit else None)


@transactional
async def set_roster_member(w: Work, cmd: RosterSet) -> list[RosterMember]:
    """Add an agent to a project's roster or change its roles; a new orchestrator replaces the old one.

    Raises:
        NotFound, Conflict (closed project).
    """
    await open_project(w, cmd.project_id, doing="changing the roster")
    await w.roster.upsert(cmd.project_id, cmd.agent_id, list(cmd.roles), cmd.allocation, cmd.is_project_orchestrator)
    return [RosterMember.model_validate(dict(r)) for r in await w.roster.current(cmd.project_id)]


@transactional
async def remove_roster_member(w: Work, project_id: str, agent_id: str) -> list[RosterMember]:
    """Raises: NotFound (project, or the agent is not on its roster)."""
    need(await w.projects.get(project_id), "project", project_id)
    if not await w.roster.leave(project_id, agent_id):
        raise NotFound(f"agent {agent_id} is not on the roster of project {project_id}; get_project (--toolsets planning) shows the roster")
    return [RosterMember.model_validate(dict(r)) for r in await w.roster.current(project_id)]


@transactional
async def create_sprint(w: Work, cmd: SprintCreate) -> SprintOut:
    """Raises: NotFound, Conflict (closed project), InvalidArgument (dates), IdempotencyMismatch."""
    if cmd.idempotency_key:
        existing = await w.idempotency.begin("create_sprint", cmd.idempotency_key, cmd.fingerprint())
        if existing:
            return SprintOut.model_validate(dict(need(await w.sprints.get(existing), "sprint", existing)))
    if cmd.end_date < cmd.start_date:
        raise InvalidArgument("end_date is before start_date; a sprint must end after it starts")
    await open_project(w, cmd.project_id, doing="adding a sprint")
    status, state = LIFECYCLES["sprint"].initial.split(".")
    row = await w.sprints.insert(project_id=cmd.project_id, name=cmd.name, start_date=cmd.start_date,
                                 end_date=cmd.end_date, status=status, state=state, created_by=cmd.actor,
                                 updated_by=cmd.actor, idempotency_key=cmd.idempotency_key)
    if cmd.idempotency_key:
        await w.idempotency.bind("create_sprint", cmd.idempotency_key, row["id"])
    return SprintOut.model_validate(dict(row))


@transactional
async def list_sprints(w: Work, *, project_id: str | None = None, cursor: str | None = None,
                       limit: int = 20) -> Page[SprintOut]:
    """Raises: InvalidArgument (cursor)."""
    rows = await w.sprints.page(project_id=project_id, after=decode_cursor(cursor, 2), limit=limit + 1)
    items = [SprintOut.model_validate(dict(r)) for r in rows[:limit]]
    last = items[-1].id if items else ""
    return Page[SprintOut](items=items, next_cursor=encode_cursor(len(last), last) if len(rows) > limit else None)
