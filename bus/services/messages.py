"""Use cases of messages: send (with push to every recipient's inbox), fetch, acknowledge, threads."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel, Field

from bus.domain import uris
from bus.domain.messages import (
    AckResult,
    Addressing,
    Inbox,
    InboxItem,
    Message,
    Receipt,
    SentMessage,
    ThreadItem,
    expand,
    parse_addresses,
)
from bus.errors import Conflict, InvalidArgument, NotFound
from bus.services._work import Work, read_only, single_statement
from servers.kernel.cursors import decode_cursor, encode_cursor

__all__ = ["OverdueAck", "OverdueAcks", "Thread", "ack", "fetch_inbox", "get", "overdue", "send", "thread"]


class Thread(BaseModel):
    thread_id: int
    items: list[ThreadItem]
    next_cursor: str | None


class OverdueAck(BaseModel):
    message_id: int
    agent_id: str = Field(description="the recipient that has not acknowledged")
    from_agent: str
    subject: str
    created_at: datetime
    overdue_by_s: float


class OverdueAcks(BaseModel):
    items: list[OverdueAck]
    next_cursor: str | None


def _cursor_int(cursor: str | None) -> int | None:
    key = decode_cursor(cursor, int)
    return key[0] if key else None


@single_statement
async def send(
    work: Work,
    from_agent: str,
    to: Sequence[str],
    subject: str,
    body: str,
    *,
    thread_id: int | None = None,
    importance: str = "normal",
    ack_required: bool = False,
) -> SentMessage:
    """Deliver to every addressed agent (durably) and push to their inboxes at commit.

    Raises:
        NotFound: the sender, an addressed agent, a role or the thread does not exist.
        InvalidArgument: the addresses name nobody but the sender.
    """
    addressing = parse_addresses(to)
    row = None
    if not addressing.roles and not addressing.everyone:
        # agent ids only: one statement checks them (and the thread) and writes message, deliveries
        # and push notices; when it writes nothing, the reads below say what is missing
        recipients = expand(addressing, from_agent, [], {})
        row = await work.messages.insert(from_agent, list(to), recipients, subject, body, importance, ack_required,
                                         thread_id, notices=[uris.inbox(r) for r in recipients])
    if row is None:
        # reads, then the same statement (agents and messages are never deleted, so what the
        # reads found still holds at the write)
        recipients = await _recipients(work, addressing, from_agent)
        if thread_id is not None and await work.messages.thread_of(thread_id) is None:
            raise NotFound(f"no message or thread {thread_id}; omit thread_id to start a new thread")
        row = await work.messages.insert(from_agent, list(to), recipients, subject, body, importance, ack_required,
                                         thread_id, notices=[uris.inbox(r) for r in recipients])
        if row is None:
            raise Conflict("an addressed agent or the thread changed while sending; nothing was sent, send again")
    return SentMessage(message_id=row["id"], thread_id=row["thread_id"], recipients=recipients, created_at=row["created_at"])


async def _recipients(work: Work, addressing: Addressing, from_agent: str) -> list[str]:
    """The registered agents ``addressing`` names (roles and * expanded).

    Raises:
        NotFound: the sender, an addressed agent or a role does not exist.
        InvalidArgument: the addresses name nobody but the sender.
    """
    agents = work.agents
    known = await agents.existing([from_agent, *addressing.agent_ids])
    if from_agent not in known:
        raise NotFound(f"sender {from_agent} is not registered; call register_agent first")
    missing = [a for a in addressing.agent_ids if a not in known]
    if missing:
        raise NotFound(
            f"no registered agent {', '.join(missing)}; read bus://agents for agent ids, "
            "or address role:<role> or *"
        )
    by_role = {role: await agents.ids_with_role(role) for role in addressing.roles}
    empty = [role for role, ids in by_role.items() if not ids]
    if empty:
        raise NotFound(f"no registered agent has role {', '.join(empty)}; read bus://agents for the roles")
    registered = await agents.all_ids() if addressing.everyone else []
    recipients = expand(addressing, from_agent, registered, by_role)
    if not recipients:
        raise InvalidArgument("the addresses name no agent but the sender; address another agent, a role or *")
    return recipients


@single_statement
async def fetch_inbox(
    work: Work,
    agent_id: str,
    *,
    since: datetime | None = None,
    unread_only: bool = True,
    limit: int = 20,
    cursor: str | None = None,
    mark_read: bool = True,
) -> Inbox:
    """A page of the agent's inbox, oldest first (marked read unless ``mark_read`` is false).

    Raises: NotFound (unregistered agent), InvalidArgument (foreign cursor).
    """
    after = _cursor_int(cursor)
    page = await work.messages.inbox(
        agent_id, overdue_after_s=work.settings.ack_overdue_after_s, unread_only=unread_only,
        since=since, after_id=after, limit=limit + 1, mark_read=mark_read,
    )
    if page is None:
        raise NotFound(f"agent {agent_id} is not registered; call register_agent first")
    rows, unread = page.rows, page.unread_total
    items = [InboxItem(**dict(r)) for r in rows[:limit]]
    more = len(rows) > limit
    return Inbox(agent_id=agent_id, items=items, next_cursor=encode_cursor(items[-1].id) if more else None, unread_total=unread)


@single_statement
async def ack(work: Work, agent_id: str, message_ids: Sequence[int]) -> AckResult:
    """All or nothing.

    Raises:
        NotFound: a message id was never delivered to ``agent_id``.
    """
    wanted = sorted(set(message_ids))
    acked = await work.messages.ack(agent_id, wanted)
    if len(acked) < len(wanted):  # some were acknowledged before, or never delivered
        delivered = await work.messages.deliveries(agent_id, wanted)
        missing = [m for m in wanted if m not in delivered]
        if missing:
            raise NotFound(
                f"message {', '.join(map(str, missing))} was not delivered to {agent_id}; "
                "acknowledge ids from your own fetch_inbox"
            )
    return AckResult(acked=acked, already_acked=[m for m in wanted if m not in acked])


@read_only
async def get(work: Work, message_id: int) -> Message:
    """Raises: NotFound."""
    row = await work.messages.get(message_id)
    if row is None:
        raise NotFound(f"no message {message_id}; ids come from fetch_inbox or send_message")
    receipts = await work.messages.receipts(message_id, work.settings.ack_overdue_after_s)
    return Message(**dict(row), receipts=[Receipt(**dict(r)) for r in receipts])


@read_only
async def thread(work: Work, thread_id: int, *, limit: int, cursor: str | None) -> Thread:
    """Raises: NotFound, InvalidArgument."""
    after = _cursor_int(cursor)
    root = await work.messages.thread_of(thread_id)
    if root is None:
        raise NotFound(f"no message or thread {thread_id}")
    rows = await work.messages.thread(root, after, limit + 1)
    items = [ThreadItem(**dict(r)) for r in rows[:limit]]
    return Thread(thread_id=root, items=items, next_cursor=encode_cursor(items[-1].id) if len(rows) > limit else None)


@read_only
async def overdue(work: Work, *, from_agent: str | None, to_agent: str | None, limit: int, cursor: str | None) -> OverdueAcks:
    """Unacknowledged deliveries of ack_required messages past the deadline. Raises: InvalidArgument."""
    after = decode_cursor(cursor, int, str)
    rows = await work.messages.overdue(work.settings.ack_overdue_after_s, from_agent, to_agent, after, limit + 1)
    items = [OverdueAck(**dict(r)) for r in rows[:limit]]
    more = len(rows) > limit
    return OverdueAcks(items=items, next_cursor=encode_cursor(items[-1].message_id, items[-1].agent_id) if more else None)
