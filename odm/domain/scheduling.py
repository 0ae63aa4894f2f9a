"""The scheduler (§15): schedule commands and views, cron evaluation (``cronsim``) and the missed-occurrence policy.

Policy after downtime (or an orchestrator that stopped asking): the due occurrences of a periodic schedule are
**coalesced into one**, the latest one that is due; the earlier ones are counted as ``missed`` (up to
``MISSED_COUNT_CAP``) and never handed out. The next due time is the first cron time after "now".
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cronsim import CronSim, CronSimError
from pydantic import Field, StringConstraints, WithJsonSchema, field_validator, model_validator

from odm.domain.commands import Command
from odm.domain.types import IdemKey, Ref, ScheduleMode
from odm.domain.views import View

__all__ = ["MISSED_COUNT_CAP", "DueOccurrence", "ScheduleCreate", "ScheduleOut", "coalesce_due", "first_due",
           "next_cron"]

MISSED_COUNT_CAP = 1000
_PLAIN = WithJsonSchema({"type": "string"})
CronExpr = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), _PLAIN]
EventName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), _PLAIN]
_TINY = timedelta(microseconds=1)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{name!r} is not an IANA time zone (e.g. UTC, Europe/Berlin)") from None


def next_cron(expr: str, tz: str, after: datetime) -> datetime:
    """The first time ``expr`` matches strictly after ``after``, in ``tz``, as UTC.

    Raises:
        ValueError: the expression is not valid cron (or never matches).
    """
    try:
        return next(CronSim(expr, after.astimezone(_zone(tz)))).astimezone(UTC)
    except (CronSimError, StopIteration) as exc:
        raise ValueError(f"{expr!r} is not a valid cron expression ({exc or 'it never matches'}); use five fields "
                         "'minute hour day-of-month month day-of-week', e.g. '*/15 * * * *'") from None


def _latest_cron(expr: str, tz: str, at: datetime) -> datetime:
    """The last time ``expr`` matches at or before ``at``."""
    return next(CronSim(expr, (at + _TINY).astimezone(_zone(tz)), reverse=True)).astimezone(UTC)


def first_due(mode: str, *, run_at: datetime | None, cron_expr: str | None, tz: str, now: datetime) -> datetime | None:
    """When a new schedule is first due (None: event_driven, due only when its event fires)."""
    if mode == "event_driven":
        return None
    if cron_expr is not None:  # periodic, or an idle window with a cadence: the first match at or after run_at/now
        return next_cron(cron_expr, tz, (run_at or now) - _TINY)
    return run_at or now


def coalesce_due(cron_expr: str, tz: str, due: datetime, now: datetime) -> tuple[datetime, int, datetime]:
    """For a periodic schedule due at ``due`` (<= ``now``): (the occurrence handed out, how many earlier ones are
    missed, the next due time after ``now``). See the module's policy."""
    missed, latest = 0, due
    while missed < MISSED_COUNT_CAP:
        following = next_cron(cron_expr, tz, latest)
        if following > now:
            return latest, missed, following
        latest, missed = following, missed + 1
    latest = _latest_cron(cron_expr, tz, now)
    return latest, missed, next_cron(cron_expr, tz, now)


class ScheduleCreate(Command):
    mode: ScheduleMode
    task_id: Ref | None = None
    research_task_id: Ref | None = None
    run_at: datetime | None = None
    cron_expr: CronExpr | None = None
    timezone: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64), _PLAIN] = "UTC"
    dependency_event: EventName | None = None
    idle_policy_id: Ref | None = None
    max_delay_sec: Annotated[int, Field(ge=1, le=366 * 86400)] | None = None
    actor: Ref | None = None
    idempotency_key: IdemKey | None = None

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        _zone(name)
        return name

    @field_validator("run_at")
    @classmethod
    def _aware(cls, at: datetime | None) -> datetime | None:
        if at is not None and at.tzinfo is None:
            raise ValueError("give a time zone offset, e.g. 2026-12-03T18:00:00Z")
        return at

    @model_validator(mode="after")
    def _shape(self) -> ScheduleCreate:
        if (self.task_id is None) == (self.research_task_id is None):
            raise ValueError("task_id: give exactly one of task_id or research_task_id")
        if self.mode == "periodic" and self.cron_expr is None:
            raise ValueError("cron_expr: required for a periodic schedule")
        if self.cron_expr is not None:
            if self.mode not in ("periodic", "idle_window"):
                raise ValueError(f"cron_expr: only periodic and idle_window schedules take one, not {self.mode}")
            try:
                next_cron(self.cron_expr, self.timezone, datetime.now(UTC))
            except ValueError as exc:
                raise ValueError(f"cron_expr: {exc}") from None
        if self.mode == "delayed" and self.run_at is None:
            raise ValueError("run_at: required for a delayed schedule")
        if (self.mode == "event_driven") != (self.dependency_event is not None):
            raise ValueError("dependency_event: required for an event_driven schedule, and only for one")
        return self


class ScheduleOut(View):
    id: str
    mode: str
    task_id: str | None
    research_task_id: str | None
    status: str
    next_due_at: datetime | None
    cron_expr: str | None = None
    dependency_event: str | None = None
    handed_count: int = 0
    missed_count: int = 0


class DueOccurrence(View):
    """One due occurrence, handed to exactly one caller of due_schedules."""

    schedule_id: str
    due_at: datetime
    mode: str
    task_id: str | None
    research_task_id: str | None
    missed: int  # earlier occurrences coalesced into this one (never handed out)
    late_sec: int  # how long after due_at it was handed out
    over_max_delay: bool  # late_sec is above the schedule's max_delay_sec
