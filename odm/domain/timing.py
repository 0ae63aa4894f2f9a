"""Time health of a task (§8.5), the time twin of ``budget_status``: ``time_status`` from its SLA deadline and its
planned duration, and why it is waiting (``delay_category`` / ``delay_reason``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import model_validator

from odm.domain.commands import Command
from odm.domain.types import Minutes, Ref
from odm.domain.views import View

__all__ = ["AT_RISK_PCT", "TimeHealth", "TimeTarget", "delay", "time_health", "time_status"]

AT_RISK_PCT = 80  # like budget_status's warning: at risk once 80% of the time allowed is used

_ORDER = {None: 0, "on_track": 1, "at_risk": 2, "breached": 3}


def _by_deadline(row: Mapping[str, Any], now: datetime) -> str | None:
    due: datetime | None = row.get("sla_due_at")
    if due is None:
        return None
    end = row.get("completed_at") if row.get("status") == "complete" else None
    if end is not None:
        return "breached" if end > due else "on_track"
    if now > due:
        return "breached"
    start: datetime = row.get("queued_at") or row["created_at"]
    window = (due - start).total_seconds()
    used = (now - start).total_seconds()
    return "at_risk" if window <= 0 or used * 100 >= window * AT_RISK_PCT else "on_track"


def _by_duration(row: Mapping[str, Any]) -> str | None:
    plan, actual = row.get("plan_duration_minutes"), row.get("actual_duration_minutes") or 0
    if plan is None:
        return None
    if actual > plan:
        return "breached"
    return "at_risk" if plan == 0 or actual * 100 >= plan * AT_RISK_PCT else "on_track"


def time_status(row: Mapping[str, Any], now: datetime) -> str | None:
    """on_track | at_risk | breached, the worse of the deadline (sla_due_at) and the planned duration;
    None when the task has neither (no time target to be healthy against)."""
    found = [_by_deadline(row, now), _by_duration(row)]
    worst = max(found, key=lambda s: _ORDER[s])
    return worst


def delay(row: Mapping[str, Any], incomplete_dependencies: int) -> tuple[str | None, str | None]:
    """(delay_category, delay_reason) of a task that is not moving: dependency | human_wait | retry | unknown."""
    status, state = row["status"], row["state"]
    if status == "plan" and state == "blocked":
        return "dependency", row.get("blocked_reason") or "a dependency will not complete"
    if status == "plan" and state == "queued" and incomplete_dependencies:
        return "dependency", f"waiting for {incomplete_dependencies} dependencies to complete"
    if status in ("discussion", "approval"):
        return "human_wait", f"waiting for a human ({status}); see odm://escalations?status=open"
    if status == "recover":
        return "retry", f"recovering ({state})"
    if state in ("paused", "waiting", "blocked"):
        return "unknown", f"{status}.{state}"
    return None, None


def time_health(row: Mapping[str, Any], now: datetime, incomplete_dependencies: int = 0) -> dict[str, Any]:
    category, reason = delay(row, incomplete_dependencies)
    return {"time_status": time_status(row, now), "delay_category": category, "delay_reason": reason}


class TimeTarget(Command):
    """A task's time target (§8.5): an SLA deadline and/or a planned duration; None leaves one as it is."""

    task_id: Ref
    sla_due_at: datetime | None = None
    plan_duration_minutes: Minutes | None = None

    @model_validator(mode="after")
    def _something(self) -> TimeTarget:
        if self.sla_due_at is None and self.plan_duration_minutes is None:
            raise ValueError("sla_due_at: give sla_due_at or plan_duration_minutes (or both)")
        if self.sla_due_at is not None and self.sla_due_at.tzinfo is None:
            raise ValueError("sla_due_at: give a time zone offset, e.g. 2026-12-03T18:00:00Z")
        return self


class TimeHealth(View):
    """The timing markers (§8.4, each set once) and time health (§8.5) of a task."""

    id: str
    status_state: str
    sla_due_at: datetime | None
    plan_duration_minutes: float | None
    actual_duration_minutes: float
    queued_at: datetime | None
    started_at: datetime | None
    first_activity_at: datetime | None
    completed_at: datetime | None
    time_status: str | None
    delay_category: str | None
    delay_reason: str | None
