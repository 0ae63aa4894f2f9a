"""Use cases of the event log: publish (pushed to bus://events/{topic} subscribers), read."""

from __future__ import annotations

import json
from typing import Any

from bus.domain import uris
from bus.domain.events import MAX_PAYLOAD_BYTES, Event, EventPage, PublishedEvent
from bus.errors import InvalidArgument
from bus.store.changes import announce
from bus.store.db import Database
from bus.store.events import EventStore, decode

__all__ = ["EventService"]

_SEVERITIES = ["debug", "info", "warning", "error", "critical"]


class EventService:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def publish(
        self, topic: str, payload: dict[str, Any], *, severity: str = "info", source: str | None = None, conn=None
    ) -> PublishedEvent:
        """Append one event; ``conn`` joins a caller's transaction (the scanner reports that way).

        Raises:
            InvalidArgument: the payload is larger than 64 KB as JSON.
        """
        text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False, default=str)
        if len(text.encode()) > MAX_PAYLOAD_BYTES:
            raise InvalidArgument(
                f"payload is {len(text.encode())} bytes as JSON, over the {MAX_PAYLOAD_BYTES} limit; "
                "publish a reference (an id or URL) instead of the data"
            )
        if conn is not None:
            return await self._append(conn, topic, severity, source, text)
        async with self.db.transaction() as own:
            return await self._append(own, topic, severity, source, text)

    async def _append(self, conn, topic: str, severity: str, source: str | None, text: str) -> PublishedEvent:
        row = await EventStore(conn).append(topic, severity, source, text)
        await announce(conn, [uris.event_topic(topic)])
        return PublishedEvent(**dict(row))

    async def read(
        self,
        *,
        topic: str | None = None,
        after_id: int | None = None,
        up_to_id: int | None = None,
        min_severity: str | None = None,
        limit: int = 20,
    ) -> EventPage:
        severities = _SEVERITIES[_SEVERITIES.index(min_severity):] if min_severity else None
        async with self.db.read() as conn:
            rows = await EventStore(conn).read(
                topic=topic, after_id=after_id, up_to_id=up_to_id, min_severity=severities, limit=limit + 1
            )
        items = [Event(**decode(r)) for r in rows[:limit]]
        return EventPage(items=items, next_cursor=str(items[-1].id) if len(rows) > limit else None)

    async def latest(self, topic: str, limit: int = 50) -> list[Event]:
        async with self.db.read() as conn:
            return [Event(**decode(r)) for r in await EventStore(conn).latest(topic, limit)]
