"""The attention scan's data (spec 4.14): a condition that needs a human, and what one scan found per source."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import BaseModel

__all__ = ["Condition", "ScanReport", "SourceStatus"]


@dataclass(frozen=True)
class Condition:
    linked_type: str
    linked_id: str
    title: str
    priority: str  # critical | high | medium | low
    description: str | None = None
    environment: str | None = None
    linked_url: str | None = None
    since: datetime | None = None  # when this occurrence began: a todo closed after it is not re-created


class SourceStatus(BaseModel):
    name: str
    linked_type: str
    status: Literal["ok", "unavailable", "unsupported"]
    reason: str | None = None
    conditions: int = 0
    created: int = 0
    dismissed: int = 0


class ScanReport(BaseModel):
    started_at: datetime
    duration_ms: float
    ran: bool  # false: another process leads this cycle
    leader: str | None
    created: int = 0
    dismissed: int = 0
    sources: list[SourceStatus] = []
