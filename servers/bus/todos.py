"""Bus tools of the human attention queue (spec 4.14): list_todos, update_todo, create_todo."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from mcp.server.mcpserver import Context
from pydantic import Field, StringConstraints

from bus.domain.names import NotBlank
from bus.domain.todos import LinkedType, Priority, Todo, TodoRef, TodoStatus
from bus.services import todos
from bus.services.todos import TodoPage
from servers.app import ToolGroup
from servers.bus._context import services

__all__ = ["create_todo", "list_todos", "update_todo"]

tools = ToolGroup()

Name = Annotated[str, StringConstraints(max_length=64), NotBlank]
Title = Annotated[str, StringConstraints(max_length=300), NotBlank]
LinkedId = Annotated[str, StringConstraints(max_length=128), NotBlank]
Text = Annotated[str, StringConstraints(max_length=8000)]
SortOrder = Annotated[int, Field(ge=-1_000_000, le=1_000_000)]


def _ref(todo: Todo) -> TodoRef:
    return TodoRef(**todo.model_dump(include=set(TodoRef.model_fields)))


@tools.tool(title="List todos", read_only=True, destructive=False, idempotent=True, open_world=False)
async def list_todos(
    ctx: Context,
    status: Literal["open", "in_progress", "done", "dismissed", "active", "closed", "all"] = "open",
    priority: Priority | None = None,
    limit: Annotated[int, Field(ge=1, le=200)] = 20,
    cursor: Annotated[str, StringConstraints(max_length=300)] | None = None,
) -> TodoPage:
    """Todos for a human, most urgent first (priority, then sort_order); active = open + in_progress.

    Details: bus://todos/{id}.
    """
    return await todos.queue(services(ctx), status=status, priority=priority, limit=limit, cursor=cursor)


@tools.tool(title="Update todo", read_only=False, destructive=False, idempotent=True, open_world=False)
async def update_todo(
    ctx: Context,
    id: UUID,
    status: TodoStatus | None = None,
    sort_order: SortOrder | None = None,
    priority: Priority | None = None,
    title: Title | None = None,
    description: Text | None = None,
    assigned_to: Name | None = None,
) -> TodoRef:
    """Change a todo's status (done/dismissed set completed_at; open reopens), sort_order, priority or text.

    Errors: [not_found], [invalid_transition], [conflict].
    """
    todo = await todos.update(
        services(ctx), id, status=status, sort_order=sort_order, priority=priority, title=title, description=description,
        assigned_to=assigned_to,
    )
    return _ref(todo)


@tools.tool(title="Create todo", read_only=False, destructive=False, idempotent=False, open_world=False)
async def create_todo(
    ctx: Context,
    title: Title,
    created_by: Name,
    description: Text | None = None,
    priority: Priority = "medium",
    environment: Name | None = None,
    linked_type: LinkedType | None = None,
    linked_id: LinkedId | None = None,
    linked_url: Annotated[str, StringConstraints(max_length=2000)] | None = None,
    assigned_to: Name | None = None,
    sort_order: SortOrder | None = None,
) -> TodoRef:
    """Ask a human for something (created_by: GO or your name); assigned to the primary user by default.

    Errors: [conflict] (an open todo already links that object).
    """
    todo = await todos.create(
        services(ctx), title, created_by, description=description, priority=priority, environment=environment,
        linked_type=linked_type, linked_id=linked_id, linked_url=linked_url, assigned_to=assigned_to,
        sort_order=sort_order,
    )
    return _ref(todo)
