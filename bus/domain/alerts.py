"""Alerts: raised (active) -> acknowledged -> resolved; raising one again under its dedup key counts an occurrence."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

__all__ = ["Alert", "AlertSeverity", "AlertStatus", "TRANSITIONS", "check_transition"]

AlertSeverity = Literal["critical", "warning", "info"]
AlertStatus = Literal["active", "acknowledged", "resolved"]

# status -> statuses it may move to; moving to the status it already has changes nothing
TRANSITIONS: dict[str, frozenset[str]] = {
    "active": frozenset({"acknowledged", "resolved"}),
    "acknowledged": frozenset({"resolved"}),
    "resolved": frozenset(),
}


def check_transition(current: str, target: str) -> bool:
    """True if the alert must change; False if it already is ``target``.

    Raises:
        ValueError: the move is not allowed (its message names what is).
    """
    if current == target:
        return False
    if target not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "nothing (it is final)"
        raise ValueError(f"cannot go from {current} to {target}; allowed next: {allowed}")
    return True


class Alert(BaseModel):
    id: int
    severity: AlertSeverity
    title: str
    detail: str | None
    source: str | None
    environment: str | None
    dedup_key: str | None
    status: AlertStatus
    occurrences: int = Field(description="how many times it was raised under its dedup key while unresolved")
    raised_by: str
    raised_at: datetime
    last_raised_at: datetime
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    resolved_by: str | None
    resolved_at: datetime | None
    resolution: str | None
