"""Research tasks (§4.12B) and knowledge objects (§4.13): create, record an output by reference, get, list.
Their lifecycle moves go through ``transitions.transition`` (kinds research_task and knowledge_object)."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from odm.domain.knowledge import (
    KnowledgeCreate,
    KnowledgeDetail,
    KnowledgeOut,
    ResearchCreate,
    ResearchDetail,
    ResearchOut,
    ResearchOutput,
)
from odm.domain.lifecycles import LIFECYCLES
from odm.domain.views import Lifecycled, Page
from odm.errors import InvalidArgument, InvalidTransition
from odm.services._work import Work, need, read_only, transactional
from odm.services.projects import check_topics
from odm.store import decode_cursor, encode_cursor

__all__ = ["check_research_move", "create_knowledge_object", "create_research_task", "get_knowledge_object",
           "get_research_task", "list_knowledge_objects", "list_research_tasks", "record_research_output"]

RESEARCH, KNOWLEDGE = LIFECYCLES["research_task"], LIFECYCLES["knowledge_object"]


def _page(items: Sequence[Lifecycled], rows: list[asyncpg.Record], limit: int) -> str | None:
    last = items[-1].id if items else ""
    return encode_cursor(len(last), last) if len(rows) > limit else None


@transactional
async def create_research_task(w: Work, cmd: ResearchCreate) -> ResearchOut:
    """Raises: NotFound (project, ticket, task, topic), IdempotencyMismatch."""
    if cmd.idempotency_key:
        existing = await w.idempotency.begin("create_research_task", cmd.idempotency_key, cmd.fingerprint())
        if existing:
            return ResearchOut.model_validate(dict(need(await w.research.get(existing), "research_task", existing)))
    if cmd.project_id:
        need(await w.projects.get(cmd.project_id), "project", cmd.project_id)
    if cmd.ticket_id:
        need(await w.tickets.get(cmd.ticket_id), "ticket", cmd.ticket_id)
    if cmd.parent_task_id:
        need(await w.tasks.get(cmd.parent_task_id), "task", cmd.parent_task_id)
    await check_topics(w, list(cmd.topic_ids))
    status, state = RESEARCH.initial.split(".")
    row = await w.research.insert(
        project_id=cmd.project_id, ticket_id=cmd.ticket_id, parent_task_id=cmd.parent_task_id, name=cmd.name,
        objective=cmd.objective, topic_ids=list(cmd.topic_ids), source_classes=list(cmd.source_classes),
        output_type=cmd.output_type, review_required=cmd.review_required, owner_runtime_id=cmd.owner_runtime_id,
        recurrence=cmd.recurrence, destination_refs=list(cmd.destination_refs), status=status, state=state,
        created_by=w.actor(cmd.actor), updated_by=cmd.actor, idempotency_key=cmd.idempotency_key,
    )
    if cmd.idempotency_key:
        await w.idempotency.bind("create_research_task", cmd.idempotency_key, row["id"])
    return ResearchOut.model_validate(dict(row))


@transactional
async def record_research_output(w: Work, cmd: ResearchOutput) -> ResearchOut:
    """Keep an output (by reference) as the task's latest. Raises: NotFound, InvalidTransition (not executing or
    in review)."""
    row = need(await w.research.get(cmd.research_task_id, lock=True), "research_task", cmd.research_task_id)
    if row["status"] not in ("execute", "review"):
        raise InvalidTransition(f"research task {row['id']} is {row['status_state']}; outputs are recorded while it "
                                "executes or is in review (transition it to execute.active first)")
    moved = await w.research.record_output(row["id"], cmd.content_ref, cmd.content_sha256, cmd.content_size,
                                           cmd.summary, cmd.actor)
    return ResearchOut.model_validate(dict(moved))


def check_research_move(row: asyncpg.Record, target: str) -> None:
    """The rules of §5.5.10 a table cannot hold: review_required forbids skipping review; only a recurring task
    returns to ready after completing. Raises: InvalidTransition."""
    subject = f"research task {row['id']}"
    if row["review_required"] and row["status"] == "execute" and target == "complete.completed":
        raise InvalidTransition(f"{subject} has review_required; move it to review.active first")
    if row["status_state"] == "complete.completed" and target == "ready.queued" and not row["recurrence"]:
        raise InvalidTransition(f"{subject} is not recurring (no recurrence); only recurring research returns to "
                                "ready for its next cycle; allowed next: archive.archived")


@read_only
async def get_research_task(w: Work, key: str) -> ResearchDetail:
    """Raises: NotFound."""
    row = need(await w.research.get(key), "research_task", key)
    kos = await w.knowledge.page(type_=None, status_state=None, research_task_id=key, after=None, limit=200)
    return ResearchDetail.model_validate(dict(row) | {"knowledge_object_ids": [k["id"] for k in kos],
                                                      "schedule_ids": await w.schedules.ids_for("research_task_id", key)})


@read_only
async def list_research_tasks(w: Work, *, status_state: str | None = None, cursor: str | None = None,
                              limit: int = 20) -> Page[ResearchOut]:
    """Raises: InvalidArgument (status_state, cursor)."""
    if status_state is not None and status_state not in RESEARCH.pairs:
        raise InvalidArgument(f"status_state: {status_state!r} is not a research_task pair; read "
                              "odm://lifecycles/research_task")
    rows = await w.research.page(status_state=status_state, after=decode_cursor(cursor, 2), limit=limit + 1)
    items = [ResearchOut.model_validate(dict(r)) for r in rows[:limit]]
    return Page[ResearchOut](items=items, next_cursor=_page(items, rows, limit))


@transactional
async def create_knowledge_object(w: Work, cmd: KnowledgeCreate) -> KnowledgeOut:
    """Raises: NotFound (topic, research task), IdempotencyMismatch."""
    if cmd.idempotency_key:
        existing = await w.idempotency.begin("create_knowledge_object", cmd.idempotency_key, cmd.fingerprint())
        if existing:
            return KnowledgeOut.model_validate(dict(need(await w.knowledge.get(existing), "knowledge_object", existing)))
    await check_topics(w, list(cmd.topics))
    if cmd.research_task_id:
        need(await w.research.get(cmd.research_task_id), "research_task", cmd.research_task_id)
    sha256, size = cmd.content()
    status, state = KNOWLEDGE.initial.split(".")
    row = await w.knowledge.insert(
        type=cmd.type, title=cmd.title, summary=cmd.summary, topics=list(cmd.topics), source=cmd.source,
        content_ref=cmd.content_ref, content_sha256=sha256, content_size=size, content_type=cmd.content_type,
        inline_body=cmd.body, version=cmd.version, research_task_id=cmd.research_task_id, status=status, state=state,
        created_by=w.actor(cmd.actor), updated_by=cmd.actor, idempotency_key=cmd.idempotency_key,
    )
    if cmd.idempotency_key:
        await w.idempotency.bind("create_knowledge_object", cmd.idempotency_key, row["id"])
    return KnowledgeOut.model_validate(dict(row))


@read_only
async def get_knowledge_object(w: Work, key: str) -> KnowledgeDetail:
    """Raises: NotFound."""
    return KnowledgeDetail.model_validate(dict(need(await w.knowledge.get(key), "knowledge_object", key)))


@read_only
async def list_knowledge_objects(w: Work, *, type_: str | None = None, status_state: str | None = None,
                                 research_task_id: str | None = None, cursor: str | None = None,
                                 limit: int = 20) -> Page[KnowledgeOut]:
    """Raises: InvalidArgument (status_state, cursor)."""
    if status_state is not None and status_state not in KNOWLEDGE.pairs:
        raise InvalidArgument(f"status_state: {status_state!r} is not a knowledge_object pair; read "
                              "odm://lifecycles/knowledge_object")
    rows = await w.knowledge.page(type_=type_, status_state=status_state, research_task_id=research_task_id,
                                  after=decode_cursor(cursor, 2), limit=limit + 1)
    items = [KnowledgeOut.model_validate(dict(r)) for r in rows[:limit]]
    return Page[KnowledgeOut](items=items, next_cursor=_page(items, rows, limit))
