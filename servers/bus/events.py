"""Bus tools of the event log: publish_event (default) and read_events (events)."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context
from pydantic import Field

from bus.domain.events import EventPage, PublishedEvent, Severity
from bus.domain.names import AgentId, Topic
from bus.services import events
from servers.app import ToolGroup
from servers.bus._context import services

__all__ = ["publish_event", "read_events"]

tools = ToolGroup()

EventId = Annotated[int, Field(ge=0)]


@tools.tool(title="Publish event", read_only=False, destructive=False, idempotent=False, open_world=False)
async def publish_event(
    ctx: Context,
    topic: Topic,
    payload: Annotated[dict[str, Any], Field(description="a JSON object, at most 64 KB")],
    severity: Severity = "info",
    source: AgentId | None = None,
) -> PublishedEvent:
    """Append an event (payload up to 64 KB) to the log; subscribers of bus://events/{topic} get a push.
    """
    return await events.publish(services(ctx), topic, payload, severity=severity, source=source)


@tools.tool("events", title="Read events", read_only=True, destructive=False, idempotent=True, open_world=False)
async def read_events(
    ctx: Context,
    topic: Topic | None = None,
    after_id: EventId | None = None,
    up_to_id: EventId | None = None,
    min_severity: Severity | None = None,
    limit: Annotated[int, Field(ge=1, le=200)] = 20,
) -> EventPage:
    """Events in id order, optionally of one topic, after an id (exclusive) and up to an id (inclusive).

    To follow the log, pass the last id you saw as after_id. Errors: [invalid_argument].
    """
    return await events.read(
        services(ctx), topic=topic, after_id=after_id, up_to_id=up_to_id, min_severity=min_severity, limit=limit
    )
