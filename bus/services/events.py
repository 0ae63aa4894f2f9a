"""Use cases of the event log: publish (pushed to bus://events/{topic} subscribers), read."""

from __future__ import annotations

import json
from typing import Any

from bus.domain import uris
from bus.domain.events import MAX_PAYLOAD_BYTES, Event, EventPage, PublishedEvent
from bus.errors import InvalidArgument
from bus.services._work import BusServices, Work, read_only, transactional
from bus.store.events import decode

__all__ = ["latest", "publish", "read"]

_SEVERITIES = ["debug", "info", "warning", "error", "critical"]


async def publish(
    services: BusServices, topic: str, payload: dict[str, Any], *, severity: str = "info", source: str | None = None
) -> PublishedEvent:
    """Append one event.

    Raises:
        InvalidArgument: the payload is larger than 64 KB as JSON.
    """
    text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False, default=str)
    if len(text.encode()) > MAX_PAYLOAD_BYTES:
        raise InvalidArgument(
            f"payload is {len(text.encode())} bytes as JSON, over the {MAX_PAYLOAD_BYTES} limit; "
            "publish a reference (an id or URL) instead of the data"
        )
    return await _append(services, topic, severity, source, text)


@transactional
async def _append(work: Work, topic: str, severity: str, source: str | None, text: str) -> PublishedEvent:
    row = await work.events.append(topic, severity, source, text)  # ids commit in order (EventStore.append)
    await work.changes.announce([uris.event_topic(topic)])
    return PublishedEvent(**dict(row))


@read_only
async def read(
    work: Work,
    *,
    topic: str | None = None,
    after_id: int | None = None,
    up_to_id: int | None = None,
    min_severity: str | None = None,
    limit: int = 20,
) -> EventPage:
    """Events in id order, optionally of one topic and at least ``min_severity``."""
    severities = _SEVERITIES[_SEVERITIES.index(min_severity):] if min_severity else None
    rows = await work.events.read(topic=topic, after_id=after_id, up_to_id=up_to_id, min_severity=severities, limit=limit + 1)
    items = [Event(**decode(r)) for r in rows[:limit]]
    return EventPage(items=items, next_cursor=str(items[-1].id) if len(rows) > limit else None)


@read_only
async def latest(work: Work, topic: str, limit: int = 50) -> list[Event]:
    """The latest ``limit`` events of ``topic``, oldest first."""
    return [Event(**decode(r)) for r in await work.events.latest(topic, limit)]
