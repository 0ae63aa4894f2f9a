"""Reading escalations: one with its decisions, a filtered page (``odm://escalations{?status}``), and the
``odm://feeds/escalations`` page the Bus scanner and ``my_work`` read."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from odm.domain.escalations import DecisionOut, EscalationOut
from odm.domain.lifecycles import LIFECYCLES
from odm.errors import InvalidArgument
from odm.services._work import Work, need, read_only
from odm.store import decode_cursor, encode_cursor

__all__ = ["OPEN_STATES", "escalation_feed", "get_escalation", "list_escalations"]

ESCALATION = LIFECYCLES["escalation"]
OPEN_STATES = ["queued", "waiting", "active"]
_CLOSED_STATES = [s for s in ESCALATION.states if s not in OPEN_STATES]
FEED_MAX = 1000


@read_only
async def get_escalation(w: Work, escalation_id: str) -> EscalationOut:
    """An escalation with its decisions. Raises: NotFound."""
    row = need(await w.escalations.get(escalation_id), "escalation", escalation_id)
    decisions = [DecisionOut.model_validate(dict(d)) for d in await w.decisions.of_escalation(escalation_id)]
    task = await w.tasks.get(row["task_id"]) if row["task_id"] else None
    return EscalationOut.model_validate(dict(row) | {
        "decisions": decisions, "task_status_state": task["status_state"] if task else None})


def _filters(status: str | None) -> dict[str, list[str] | None]:
    """``status``: open|pending, closed, a status (approval), a state (expired) or a pair (discussion.waiting).

    Raises:
        InvalidArgument: none of these.
    """
    value = (status or "").strip()
    none: dict[str, list[str] | None] = {"states": None, "statuses": None, "pairs": None}
    if not value or value == "all":
        return none
    if value in ("open", "pending"):
        return none | {"states": OPEN_STATES}
    if value == "closed":
        return none | {"states": _CLOSED_STATES}
    if value in ESCALATION.pairs:
        return none | {"pairs": [value]}
    if value in ESCALATION.statuses:
        return none | {"statuses": [value]}
    if value in ESCALATION.states:
        return none | {"states": [value]}
    raise InvalidArgument(f"status {value!r} is not open, pending, closed, all or an escalation status, state or "
                          "status.state (read odm://lifecycles/escalation)")


def _after(cursor: str | None) -> tuple[datetime, str] | None:
    key = decode_cursor(cursor, 2)
    if key is None:
        return None
    try:
        return datetime.fromisoformat(str(key[0])), str(key[1])
    except ValueError:
        raise InvalidArgument("cursor is not one this server returned; pass next_cursor from the previous page") from None


def _limit(text: str | int | None, default: int) -> int:
    if text is None or text == "":
        return default
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= FEED_MAX:
        raise InvalidArgument(f"limit must be a whole number from 1 to {FEED_MAX}, not {text!r}")
    return value


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _item(r: asyncpg.Record) -> dict[str, Any]:
    """A feed item: the scanner reads id, task_id, title/summary, priority, detail, created_at, status."""
    open_now = r["status_state"].split(".")[1] in OPEN_STATES
    detail = f"{r['trigger_type']} on task {r['task_id']}" if r["task_id"] else r["trigger_type"]
    if r["question_count"]:
        detail += f"; {r['question_count']} question(s)"
    if r["recommended_option"]:
        detail += f"; recommended: {r['recommended_option']}"
    if r["due_at"]:
        detail += f"; due {r['due_at']:%Y-%m-%d %H:%M} UTC"
    return {
        "id": r["id"], "task_id": r["task_id"], "ticket_id": r["ticket_id"], "project_id": r["project_id"],
        "title": r["summary"][:200], "summary": r["summary"], "priority": r["urgency"], "urgency": r["urgency"],
        "trigger_type": r["trigger_type"], "detail": detail, "status": "pending" if open_now else r["status_state"].split(".")[1],
        "status_state": r["status_state"], "agent_id": r["agent_runtime_id"], "task_title": r["task_title"],
        "due_at": _iso(r["due_at"]), "created_at": _iso(r["created_at"]), "updated_at": _iso(r["updated_at"]),
        "url": f"odm://escalations/{r['id']}",
    }


async def _page(w: Work, *, status: str | None, task_id: str | None, agent_id: str | None, cursor: str | None,
                limit: int) -> dict[str, Any]:
    rows = await w.escalations.page(**_filters(status), task_id=task_id or None, agent_id=agent_id or None,
                                    after=_after(cursor), limit=limit + 1)
    items = [_item(r) for r in rows[:limit]]
    last = rows[limit - 1] if len(rows) > limit else None
    return {"items": items, "next_cursor": encode_cursor(last["created_at"].isoformat(), last["id"]) if last else None}


@read_only
async def list_escalations(w: Work, status: str | None = None, cursor: str | None = None,
                           limit: int = 200) -> dict[str, Any]:
    """``odm://escalations{?status}``: oldest first. Raises: InvalidArgument (status, cursor)."""
    return await _page(w, status=status, task_id=None, agent_id=None, cursor=cursor, limit=limit)


@read_only
async def escalation_feed(w: Work, *, status: str | None = None, task_id: str | None = None, agent_id: str | None = None,
                          cursor: str | None = None, limit: str | None = None) -> dict[str, Any]:
    """``odm://feeds/escalations``: ``status=pending`` is what still waits for a human; ``agent_id`` the ones
    the agent opened or whose task it holds. Raises: InvalidArgument (a value that does not fit)."""
    return await _page(w, status=status, task_id=task_id, agent_id=agent_id, cursor=cursor, limit=_limit(limit, 200))
