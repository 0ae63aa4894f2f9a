"""User todos, the human attention queue (spec 4.14): fields, statuses and the queue order."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel

__all__ = [
    "CLOSED", "LINKED_TYPES", "OPEN", "PRIORITY_RANK", "TRANSITIONS", "LinkedType", "Priority", "Todo",
    "TodoRef", "TodoStatus", "TodoSummary", "check_transition",
]

Priority = Literal["critical", "high", "medium", "low"]
TodoStatus = Literal["open", "in_progress", "done", "dismissed"]
LinkedType = Literal["escalation", "alert", "agent", "task", "approval", "budget"]
LINKED_TYPES: tuple[str, ...] = ("escalation", "alert", "agent", "task", "approval", "budget")

PRIORITY_RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3}  # the queue shows lower ranks first
OPEN = ("open", "in_progress")  # still needs attention; at most one such todo per linked object
CLOSED = ("done", "dismissed")  # completed_at is set

TRANSITIONS: dict[str, frozenset[str]] = {
    "open": frozenset({"in_progress", "done", "dismissed"}),
    "in_progress": frozenset({"open", "done", "dismissed"}),
    "done": frozenset({"open"}),
    "dismissed": frozenset({"open"}),
}


def check_transition(current: str, target: str) -> bool:
    """True if the todo must change status; False if it already has it.

    Raises:
        ValueError: not allowed; the message names what is.
    """
    if current == target:
        return False
    if target not in TRANSITIONS[current]:
        raise ValueError(f"cannot go from {current} to {target}; allowed next: {', '.join(sorted(TRANSITIONS[current]))}")
    return True


class Todo(BaseModel):
    """Every field of spec 4.14."""

    id: UUID
    title: str
    description: str | None
    priority: Priority
    status: TodoStatus
    environment: str | None
    linked_type: LinkedType | None
    linked_id: str | None
    linked_url: str | None
    assigned_to: str
    created_by: str
    created_at: datetime
    completed_at: datetime | None
    sort_order: int


# list and mutation answers use plain str for the enums: output schemas cost agents context too
class TodoSummary(BaseModel):
    id: UUID
    title: str
    priority: str
    status: str
    linked_type: str | None
    linked_id: str | None
    assigned_to: str
    sort_order: int
    created_at: datetime


class TodoRef(BaseModel):
    id: UUID
    status: str
    priority: str
    sort_order: int
    completed_at: datetime | None
