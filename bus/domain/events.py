"""Events: an append-only log of facts by topic, readable by id range."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

__all__ = ["Event", "EventPage", "PublishedEvent", "Severity", "MAX_PAYLOAD_BYTES"]

Severity = Literal["debug", "info", "warning", "error", "critical"]
MAX_PAYLOAD_BYTES = 65536


class PublishedEvent(BaseModel):
    id: int
    topic: str
    severity: str
    created_at: datetime


class Event(BaseModel):
    id: int
    topic: str
    severity: Severity
    source: str | None
    payload: dict[str, Any]
    created_at: datetime


class EventPage(BaseModel):
    items: list[Event]
    next_cursor: str | None = Field(description="the last id returned when more may follow; pass it as after_id")
