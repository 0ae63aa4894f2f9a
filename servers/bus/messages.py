"""Bus tools of messages: send_message, fetch_inbox, ack_message (default); threads and receipts (messages)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from mcp.server.mcpserver import Context
from pydantic import Field, StringConstraints

from bus.domain.messages import AckResult, Address, Importance, Inbox, Message, SentMessage
from bus.domain.names import AgentId, NotBlank
from bus.services import messages
from bus.services.messages import OverdueAcks, Thread
from servers.app import ToolGroup
from servers.bus._context import services

__all__ = ["ack_message", "fetch_inbox", "get_message", "overdue_acks", "read_thread", "send_message"]

tools = ToolGroup()

MessageId = Annotated[int, Field(ge=1)]
Limit = Annotated[int, Field(ge=1, le=200)]
Cursor = Annotated[str, StringConstraints(max_length=200), NotBlank]
Subject = Annotated[str, StringConstraints(max_length=200), NotBlank]


@tools.tool(title="Send message", read_only=False, destructive=False, idempotent=False, open_world=False)
async def send_message(
    ctx: Context,
    from_agent: AgentId,
    to: Annotated[list[Address], Field(min_length=1, max_length=100)],
    subject: Subject,
    body: Annotated[str, StringConstraints(max_length=65536)],
    thread_id: MessageId | None = None,
    importance: Importance = "normal",
    ack_required: bool = False,
) -> SentMessage:
    """Durable message to agent ids, "role:<role>" or "*"; thread_id replies in a thread.

    Subscribers of bus://inbox/{id} get a push. Errors: [not_found] (sender, recipient, role or thread).
    """
    return await messages.send(
        services(ctx), from_agent, to, subject, body, thread_id=thread_id, importance=importance, ack_required=ack_required
    )


@tools.tool(title="Fetch inbox", read_only=False, destructive=False, idempotent=True, open_world=False)
async def fetch_inbox(
    ctx: Context,
    agent_id: AgentId,
    since: datetime | None = None,
    unread_only: bool = True,
    limit: Limit = 20,
    cursor: Cursor | None = None,
) -> Inbox:
    """Your messages, oldest first; unread = not yet acknowledged (they stay until ack_message).

    Errors: [not_found] (register first).
    """
    return await messages.fetch_inbox(
        services(ctx), agent_id, since=since, unread_only=unread_only, limit=limit, cursor=cursor
    )


@tools.tool(title="Acknowledge messages", read_only=False, destructive=False, idempotent=True, open_world=False)
async def ack_message(
    ctx: Context,
    agent_id: AgentId,
    message_ids: Annotated[list[MessageId], Field(min_length=1, max_length=200)],
) -> AckResult:
    """Acknowledge messages you handled, all or nothing. Errors: [not_found] (an id not delivered to you).
    """
    return await messages.ack(services(ctx), agent_id, message_ids)


@tools.tool("messages", title="Read a thread", read_only=True, destructive=False, idempotent=True, open_world=False)
async def read_thread(ctx: Context, thread_id: MessageId, limit: Limit = 20, cursor: Cursor | None = None) -> Thread:
    """The messages of a thread (pass a thread_id or any message id in it), oldest first.

    Errors: [not_found], [invalid_argument].
    """
    return await messages.thread(services(ctx), thread_id, limit=limit, cursor=cursor)


@tools.tool("messages", title="Read a message", read_only=True, destructive=False, idempotent=True, open_world=False)
async def get_message(ctx: Context, message_id: MessageId) -> Message:
    """One message in full, with per-recipient receipts (read, acknowledged, overdue).

    Errors: [not_found].
    """
    return await messages.get(services(ctx), message_id)


@tools.tool("messages", title="Overdue acknowledgements", read_only=True, destructive=False, idempotent=True, open_world=False)
async def overdue_acks(
    ctx: Context,
    from_agent: AgentId | None = None,
    to_agent: AgentId | None = None,
    limit: Limit = 20,
    cursor: Cursor | None = None,
) -> OverdueAcks:
    """Messages sent with ack_required that a recipient has not acknowledged in time (XIOPRO_BUS_ACK_OVERDUE_AFTER_S).

    Errors: [invalid_argument].
    """
    return await messages.overdue(services(ctx), from_agent=from_agent, to_agent=to_agent, limit=limit, cursor=cursor)
