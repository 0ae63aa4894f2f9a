"""The execution report (§14A) as plain rules: the request, how a timeframe becomes a [from, to) window, and the
report's sections. Rendering to markdown and html is in ``odm.domain.report_render``."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import model_validator

from odm.domain.commands import Command
from odm.domain.types import AgentId, Ref
from odm.domain.views import View
from odm.errors import InvalidArgument

__all__ = ["FORMATS", "SECTIONS", "TIMEFRAMES", "Format", "ReportOut", "ReportQuery", "Timeframe", "window"]

Timeframe = Literal["realtime", "hourly", "session", "daily", "sprint", "custom"]
Format = Literal["json", "markdown", "html"]
TIMEFRAMES: tuple[str, ...] = ("realtime", "hourly", "session", "daily", "sprint", "custom")
FORMATS: tuple[str, ...] = ("json", "markdown", "html")

# how far back each fixed timeframe looks from now (sprint: the sprint's dates; custom: from/to)
_SPANS = {"realtime": timedelta(minutes=5), "hourly": timedelta(hours=1), "session": timedelta(hours=8),
          "daily": timedelta(hours=24)}
MAX_SPAN = timedelta(days=400)

# the sections of a report, in the order they are shown, with their headings
SECTIONS: tuple[tuple[str, str], ...] = (
    ("completed_work", "Completed work"),
    ("decisions", "Human decisions"),
    ("interventions", "Interventions (overrides)"),
    ("escalations", "Escalations"),
    ("open_items", "Open and blocked items"),
    ("ticket_progress", "Ticket progress"),
    ("agent_utilisation", "Agent utilisation"),
    ("cost_by_agent", "Cost and time by agent"),
    ("cost_by_task", "Cost and time by task"),
    ("cost_by_ticket", "Cost and time by ticket"),
)


class ReportQuery(Command):
    timeframe: Timeframe = "daily"
    from_: datetime | None = None
    to: datetime | None = None
    format: Format = "json"
    agent_id: AgentId | None = None
    ticket_id: Ref | None = None
    session_id: Ref | None = None

    @model_validator(mode="after")
    def _zoned(self) -> ReportQuery:
        for name, value in (("from", self.from_), ("to", self.to)):
            if value is not None and value.tzinfo is None:
                raise ValueError(f"{name} needs a time zone (e.g. 2026-12-03T00:00:00Z)")
        return self


def window(query: ReportQuery, now: datetime, sprint: tuple[datetime, datetime] | None = None) -> tuple[datetime, datetime]:
    """The [from, to) a report covers.

    realtime/hourly/session/daily: the last 5 min / 1 h / 8 h / 24 h up to now (``session``: from ``from`` when the
    session start is given); sprint: the sprint's start and end (``sprint``); custom: ``from`` and ``to`` (both).

    Raises:
        InvalidArgument: from/to missing, reversed, too far apart, or given to a timeframe that does not take them.
    """
    tf = query.timeframe
    if tf == "custom":
        if query.from_ is None or query.to is None:
            missing = "from" if query.from_ is None else "to"
            raise InvalidArgument(f"{missing} is required for timeframe custom (ISO 8601 with a zone)")
        start, end = query.from_, query.to
    elif tf == "sprint":
        if query.from_ is not None or query.to is not None:
            raise InvalidArgument("from/to apply only to timeframe custom (and from to session); sprint uses its dates")
        if sprint is None:
            raise InvalidArgument("timeframe sprint needs a sprint: give ticket_id of a ticket in one, or have an active "
                                  "sprint; else use timeframe custom with from and to")
        start, end = sprint
    else:
        if query.to is not None or (query.from_ is not None and tf != "session"):
            raise InvalidArgument(f"from/to apply only to timeframe custom (and from to session), not {tf}")
        end = now
        start = query.from_ if query.from_ is not None else now - _SPANS[tf]
    if start >= end:
        raise InvalidArgument(f"from ({start.isoformat()}) must be before to ({end.isoformat()})")
    if end - start > MAX_SPAN:
        raise InvalidArgument(f"from and to are {(end - start).days} days apart; a report covers at most "
                              f"{MAX_SPAN.days} days")
    return start, end


class ReportOut(View):
    """What execution_report answers: the report (json), or its text (markdown, html)."""

    format: str
    report: dict[str, Any] = {}  # json
    text: str = ""  # markdown, html
