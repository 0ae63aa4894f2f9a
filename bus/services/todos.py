"""Use cases of the attention queue by hand: create, update, read and list todos (the scanner has its own)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg
from pydantic import BaseModel

from bus.domain import uris
from bus.domain.todos import CLOSED, OPEN, Todo, TodoSummary, check_transition
from bus.errors import Conflict, InvalidArgument, InvalidTransition, NotFound
from bus.services._work import BusServices, Work, read_only, transactional
from servers.kernel.cursors import BAD_CURSOR, decode_cursor, encode_cursor

__all__ = ["STATUS_FILTERS", "TodoPage", "create", "full_queue", "get", "queue", "update"]

STATUS_FILTERS: dict[str, tuple[str, ...]] = {
    "open": ("open",),
    "in_progress": ("in_progress",),
    "done": ("done",),
    "dismissed": ("dismissed",),
    "active": OPEN,
    "closed": CLOSED,
    "all": OPEN + CLOSED,
}


class TodoPage(BaseModel):
    items: list[TodoSummary]
    next_cursor: str | None


def todo_of(row: asyncpg.Record) -> Todo:
    return Todo(**{k: row[k] for k in Todo.model_fields})


def summary_of(row: asyncpg.Record) -> TodoSummary:
    return TodoSummary(**{k: row[k] for k in TodoSummary.model_fields})


def _encode_cursor(row: asyncpg.Record) -> str:
    return encode_cursor(row["rank"], row["sort_order"], row["created_at"].isoformat(), str(row["id"]))


def _decode_cursor(cursor: str) -> tuple[int, int, datetime, UUID]:
    key = decode_cursor(cursor, int, int, str, str)
    assert key is not None
    try:
        return key[0], key[1], datetime.fromisoformat(key[2]), UUID(key[3])
    except ValueError:
        raise InvalidArgument(BAD_CURSOR) from None


async def create(
    services: BusServices,
    title: str,
    created_by: str,
    *,
    description: str | None = None,
    priority: str = "medium",
    environment: str | None = None,
    linked_type: str | None = None,
    linked_id: str | None = None,
    linked_url: str | None = None,
    assigned_to: str | None = None,
    sort_order: int | None = None,
) -> Todo:
    """A todo by hand (created_by: GO or an agent name).

    Raises:
        InvalidArgument: created_by "system" (reserved for the scanner), linked_id without linked_type.
        Conflict: an open todo already links the same object.
    """
    if created_by.strip().lower() == "system":
        raise InvalidArgument('created_by "system" is reserved for todos the Bus creates; pass GO or your agent name')
    if linked_id is not None and linked_type is None:
        raise InvalidArgument("linked_id needs linked_type (escalation, alert, agent, task, approval or budget)")
    return await _insert(services, title.strip(), description, priority, environment, linked_type, linked_id, linked_url,
                         assigned_to or services.settings.primary_user, created_by, sort_order)


@transactional
async def _insert(
    work: Work, title: str, description: str | None, priority: str, environment: str | None, linked_type: str | None,
    linked_id: str | None, linked_url: str | None, assigned_to: str, created_by: str, sort_order: int | None,
) -> Todo:
    row = await work.todos.create(title, description, priority, environment, linked_type, linked_id, linked_url,
                                  assigned_to, created_by, sort_order)
    if row is None:
        existing = await work.todos.open_for_link(linked_type, linked_id)
        raise Conflict(
            f"todo {existing['id'] if existing else '?'} is already open for {linked_type} {linked_id}; "
            "update that one instead"
        )
    await work.changes.announce([uris.TODOS, uris.todo(str(row["id"]))])
    return todo_of(row)


@transactional
async def update(
    work: Work,
    todo_id: UUID,
    *,
    status: str | None = None,
    sort_order: int | None = None,
    priority: str | None = None,
    title: str | None = None,
    description: str | None = None,
    assigned_to: str | None = None,
) -> Todo:
    """Change what is given; completed_at is set on done/dismissed and cleared on reopening.

    Raises:
        NotFound, InvalidTransition, Conflict (reopening while another open todo links the same object).
    """
    row = await work.todos.get(todo_id, for_update=True)
    if row is None:
        raise NotFound(f"no todo {todo_id}; list_todos shows the queue")
    if status is not None:
        try:
            check_transition(row["status"], status)
        except ValueError as exc:
            raise InvalidTransition(f"todo {todo_id} {exc}") from None
    updated = await work.todos.update(
        todo_id,
        status=status or row["status"],
        priority=priority or row["priority"],
        sort_order=row["sort_order"] if sort_order is None else sort_order,
        title=title.strip() if title is not None else row["title"],
        description=row["description"] if description is None else description,
        assigned_to=assigned_to or row["assigned_to"],
    )
    if updated is None:
        existing = await work.todos.open_for_link(row["linked_type"], row["linked_id"])
        raise Conflict(
            f"todo {existing['id'] if existing else '?'} is open for {row['linked_type']} {row['linked_id']}; "
            "a second one cannot be reopened"
        )
    await work.changes.announce([uris.TODOS, uris.todo(str(todo_id))])
    return todo_of(updated)


@read_only
async def get(work: Work, todo_id: UUID) -> Todo:
    """Raises: NotFound."""
    row = await work.todos.get(todo_id)
    if row is None:
        raise NotFound(f"no todo {todo_id}; list_todos shows the queue")
    return todo_of(row)


async def queue(
    services: BusServices,
    *,
    status: str = "open",
    priority: str | None = None,
    assigned_to: str | None = None,
    limit: int = 20,
    cursor: str | None = None,
) -> TodoPage:
    """Most urgent first. Raises: InvalidArgument (a cursor from elsewhere)."""
    after = _decode_cursor(cursor) if cursor else None
    return await _queue_page(services, STATUS_FILTERS[status], priority, assigned_to, after, limit)


@read_only
async def _queue_page(
    work: Work, statuses: tuple[str, ...], priority: str | None, assigned_to: str | None,
    after: tuple[int, int, datetime, UUID] | None, limit: int,
) -> TodoPage:
    rows = await work.todos.queue(statuses, priority, assigned_to, after, limit + 1)
    items = rows[:limit]
    return TodoPage(
        items=[summary_of(r) for r in items],
        next_cursor=_encode_cursor(items[-1]) if len(rows) > limit else None,
    )


@read_only
async def full_queue(work: Work, *, status: str = "active", limit: int = 200) -> list[Todo]:
    """The whole queue (every field), most urgent first."""
    rows = await work.todos.queue(STATUS_FILTERS[status], None, None, None, limit)
    return [todo_of(r) for r in rows]
