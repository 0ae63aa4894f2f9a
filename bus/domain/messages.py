"""Messages between agents: addressing (ids, role:<role>, *), inbox items, receipts."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from bus.domain.names import matching

__all__ = [
    "AckResult", "Address", "Addressing", "Importance", "Inbox", "InboxItem", "Message", "Receipt",
    "SentMessage", "ThreadItem", "expand", "parse_addresses", "BODY_PREVIEW",
]

Importance = Literal["low", "normal", "high", "urgent"]
BODY_PREVIEW = 2000  # characters of a body shown in lists; bus://messages/{id} has all of it

Address = Annotated[
    str, StringConstraints(max_length=69),
    matching(r"^(\*|role:[a-z][a-z0-9_-]{0,31}|[A-Za-z0-9][A-Za-z0-9_.@-]{0,63})$", "an agent id, role:<role> or *"),
]


@dataclass(frozen=True)
class Addressing:
    agent_ids: tuple[str, ...]
    roles: tuple[str, ...]
    everyone: bool


def parse_addresses(addresses: Iterable[str]) -> Addressing:
    ids, roles, everyone = [], [], False
    for address in addresses:
        if address == "*":
            everyone = True
        elif address.startswith("role:"):
            roles.append(address.removeprefix("role:"))
        else:
            ids.append(address)
    return Addressing(tuple(dict.fromkeys(ids)), tuple(dict.fromkeys(roles)), everyone)


def expand(addressing: Addressing, sender: str, registered: Sequence[str], by_role: dict[str, list[str]]) -> list[str]:
    """Recipients in a stable order; the sender is never its own recipient through a role or *."""
    chosen = list(addressing.agent_ids)
    group = registered if addressing.everyone else [a for role in addressing.roles for a in by_role.get(role, [])]
    chosen.extend(a for a in group if a != sender)
    return list(dict.fromkeys(chosen))


class SentMessage(BaseModel):
    message_id: int
    thread_id: int
    recipients: list[str]
    created_at: datetime


class InboxItem(BaseModel):
    id: int
    thread_id: int
    from_agent: str
    subject: str
    body: str
    body_truncated: bool
    importance: str
    ack_required: bool
    ack_overdue: bool
    acked: bool
    created_at: datetime


class ThreadItem(BaseModel):
    id: int
    from_agent: str
    addressed_to: list[str]
    subject: str
    body: str = Field(description=f"the body, cut at {BODY_PREVIEW} characters (see body_truncated)")
    body_truncated: bool
    importance: Importance
    ack_required: bool
    created_at: datetime


class Inbox(BaseModel):
    agent_id: str
    items: list[InboxItem]
    next_cursor: str | None
    unread_total: int


class AckResult(BaseModel):
    acked: list[int]
    already_acked: list[int]


class Receipt(BaseModel):
    agent_id: str
    read_at: datetime | None
    acked_at: datetime | None
    ack_overdue: bool


class Message(BaseModel):
    id: int
    thread_id: int
    from_agent: str
    addressed_to: list[str]
    subject: str
    body: str
    importance: Importance
    ack_required: bool
    created_at: datetime
    receipts: list[Receipt] = Field(default_factory=list)
