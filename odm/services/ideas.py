"""Ideas and discussion threads: capture, link (many-to-many), list, and promote into tickets."""

from __future__ import annotations

import asyncpg

from odm.domain.commands import IdeaCreate, ThreadCreate, TicketCreate
from odm.domain.lifecycles import LIFECYCLES
from odm.domain.numbering import ticket_id
from odm.domain.views import IdeaOut, Page, ThreadOut, TicketOut
from odm.errors import InvalidArgument
from odm.services._work import Work, need, transactional
from odm.services.projects import check_topics, open_project
from odm.services.tickets import ticket_out
from odm.store import Store, decode_cursor, encode_cursor

__all__ = ["create_idea", "create_thread", "link_idea_thread", "list_ideas", "list_threads", "promote_idea",
           "promote_thread"]

IDEA, THREAD = LIFECYCLES["idea"], LIFECYCLES["discussion_thread"]


async def idea_out(w: Work, row: asyncpg.Record) -> IdeaOut:
    return IdeaOut.model_validate(dict(row) | {"thread_ids": await w.ideas.thread_ids(row["id"])})


async def thread_out(w: Work, row: asyncpg.Record) -> ThreadOut:
    return ThreadOut.model_validate(dict(row) | {"idea_ids": await w.threads.idea_ids(row["id"])})


async def _need_all(w: Work, store: Store, kind: str, keys: list[str]) -> None:
    for key in keys:
        need(await store.get(key), kind, key)


@transactional
async def create_idea(w: Work, cmd: IdeaCreate) -> IdeaOut:
    """Raises: NotFound (topic, user, thread), IdempotencyMismatch."""
    if cmd.idempotency_key:
        existing = await w.idempotency.begin("create_idea", cmd.idempotency_key, cmd.fingerprint())
        if existing:
            return await idea_out(w, await w.ideas.get(existing))
    await check_topics(w, [cmd.topic_id] if cmd.topic_id else [])
    user = cmd.raised_by_user_id or (w.services.primary_user_id if cmd.source == "user" and not cmd.raised_by_agent_id else None)
    if cmd.raised_by_user_id:
        need(await w.users.get(cmd.raised_by_user_id), "user", cmd.raised_by_user_id)
    await _need_all(w, w.threads, "discussion_thread", list(cmd.thread_ids))
    status, state = IDEA.initial.split(".")
    row = await w.ideas.insert(
        title=cmd.title, description=cmd.description, topic_id=cmd.topic_id, source=cmd.source, source_ref=cmd.source_ref,
        raised_by_user_id=user, raised_by_agent_id=cmd.raised_by_agent_id, priority=cmd.priority,
        review_cycle=cmd.review_cycle, tags=list(cmd.tags), context=cmd.context, status=status, state=state,
        created_by=cmd.actor or cmd.raised_by_agent_id or user, updated_by=cmd.actor, idempotency_key=cmd.idempotency_key,
    )
    for thread in cmd.thread_ids:
        await w.ideas.link(row["id"], thread)
    if cmd.idempotency_key:
        await w.idempotency.bind("create_idea", cmd.idempotency_key, row["id"])
    return await idea_out(w, row)


@transactional
async def create_thread(w: Work, cmd: ThreadCreate) -> ThreadOut:
    """Raises: NotFound (project, topic, idea, ticket, task), IdempotencyMismatch."""
    if cmd.idempotency_key:
        existing = await w.idempotency.begin("create_thread", cmd.idempotency_key, cmd.fingerprint())
        if existing:
            return await thread_out(w, await w.threads.get(existing))
    if cmd.project_id:
        need(await w.projects.get(cmd.project_id), "project", cmd.project_id)
    await check_topics(w, list(cmd.topic_ids))
    await _need_all(w, w.ideas, "idea", list(cmd.idea_ids))
    if cmd.linked_ticket_id:
        need(await w.tickets.get(cmd.linked_ticket_id), "ticket", cmd.linked_ticket_id)
    if cmd.linked_task_id:
        need(await w.tasks.get(cmd.linked_task_id), "task", cmd.linked_task_id)
    status, state = THREAD.initial.split(".")
    row = await w.threads.insert(
        thread_type=cmd.thread_type, title=cmd.title, summary=cmd.summary, project_id=cmd.project_id,
        topic_ids=list(cmd.topic_ids), opened_by=cmd.opened_by or w.services.primary_user_id,
        participants=list(cmd.participants), source_channel=cmd.source_channel, linked_ticket_id=cmd.linked_ticket_id,
        linked_task_id=cmd.linked_task_id, transcript_ref=cmd.transcript_ref, status=status, state=state,
        created_by=cmd.actor, updated_by=cmd.actor, idempotency_key=cmd.idempotency_key,
    )
    for idea in cmd.idea_ids:
        await w.ideas.link(idea, row["id"])
    if cmd.idempotency_key:
        await w.idempotency.bind("create_thread", cmd.idempotency_key, row["id"])
    return await thread_out(w, row)


@transactional
async def link_idea_thread(w: Work, idea_id: str, thread_id: str) -> IdeaOut:
    """Raises: NotFound."""
    idea = need(await w.ideas.get(idea_id), "idea", idea_id)
    need(await w.threads.get(thread_id), "discussion_thread", thread_id)
    await w.ideas.link(idea_id, thread_id)
    return await idea_out(w, idea)


async def _new_ticket(w: Work, project_id: str, title: str, description: str, priority: str | None,
                      actor: str | None) -> asyncpg.Record:
    project = await open_project(w, project_id, doing="promoting into a ticket")
    status, state = LIFECYCLES["ticket"].initial.split(".")
    cmd = TicketCreate(project_id=project["id"], title=title, description=description, priority=priority or "normal")
    return await w.tickets.insert(id=ticket_id(await w.tickets.next_number()), project_id=project["id"],
                                  title=cmd.title, description=cmd.description, priority=cmd.priority,
                                  status=status, state=state, created_by=actor, updated_by=actor)


@transactional
async def promote_idea(w: Work, idea_id: str, project_id: str, title: str | None = None,
                       actor: str | None = None) -> TicketOut:
    """Shape an approved idea into a ticket: the idea becomes ``ticketed`` with ``ticket_id`` set.

    Raises:
        NotFound, InvalidTransition (the idea is not approved), Conflict (closed project).
    """
    idea = need(await w.ideas.get(idea_id, lock=True), "idea", idea_id)
    IDEA.check(idea["status_state"], "ticketed.completed", subject=f"idea {idea_id}", via="promote")
    ticket = await _new_ticket(w, project_id, title or idea["title"], idea["description"], idea["priority"], actor)
    await w.ideas.update(idea_id, status="ticketed", state="completed", ticket_id=ticket["id"], updated_by=actor)
    return ticket_out(ticket)


@transactional
async def promote_thread(w: Work, thread_id: str, project_id: str | None = None, title: str | None = None,
                         actor: str | None = None) -> TicketOut:
    """Promote a thread in review into a ticket; the thread becomes ``complete.promoted`` and links it.

    Raises:
        NotFound, InvalidTransition (the thread is not in review), InvalidArgument (no project), Conflict.
    """
    thread = need(await w.threads.get(thread_id, lock=True), "discussion_thread", thread_id)
    THREAD.check(thread["status_state"], "complete.promoted", subject=f"discussion thread {thread_id}", via="promote")
    project = project_id or thread["project_id"]
    if project is None:
        raise InvalidArgument(f"discussion thread {thread_id} has no project; pass project_id for the new ticket")
    name = title or thread["title"] or (thread["summary"] or "")[:200] or f"From discussion {thread_id}"
    ticket = await _new_ticket(w, project, name, thread["summary"] or "", None, actor)
    await w.threads.update(thread_id, status="complete", state="promoted", linked_ticket_id=ticket["id"],
                           closed_at=await w.now(), updated_by=actor)
    return ticket_out(ticket)


@transactional
async def list_ideas(w: Work, *, status: list[str] | None = None, due_for_review: bool = False,
                     cursor: str | None = None, limit: int = 20) -> Page[IdeaOut]:
    """``due_for_review``: new or deferred ideas whose review date has come. Raises: InvalidArgument."""
    now = await w.now() if due_for_review else None
    rows = await w.ideas.page(status=status, due_before=now, after=decode_cursor(cursor, 2), limit=limit + 1)
    items = [await idea_out(w, r) for r in rows[:limit]]
    last = items[-1].id if items else ""
    return Page[IdeaOut](items=items, next_cursor=encode_cursor(len(last), last) if len(rows) > limit else None)


@transactional
async def list_threads(w: Work, *, project_id: str | None = None, status_state: str | None = None,
                       cursor: str | None = None, limit: int = 20) -> Page[ThreadOut]:
    rows = await w.threads.page(project_id=project_id, status_state=status_state, after=decode_cursor(cursor, 2),
                                limit=limit + 1)
    items = [await thread_out(w, r) for r in rows[:limit]]
    last = items[-1].id if items else ""
    return Page[ThreadOut](items=items, next_cursor=encode_cursor(len(last), last) if len(rows) > limit else None)
