"""Read-only views: full-text search, the task feed the Bus reads, the ready list, lifecycles."""

from __future__ import annotations

from typing import Any

from odm.domain.lifecycles import LIFECYCLES
from odm.domain.views import Page, SearchHit
from odm.errors import InvalidArgument
from odm.services._work import Work, need, read_only, transactional
from odm.store import SEARCHABLE, decode_cursor, encode_cursor

__all__ = ["SEARCHABLE", "ids_starting", "ready_tasks", "search", "task_feed"]

FEED_MAX = 1000


@transactional
async def search(w: Work, query: str, kinds: list[str] | None = None, limit: int = 20,
                 cursor: str | None = None) -> Page[SearchHit]:
    """Full-text search (PostgreSQL, English stemming) over titles, descriptions and objectives.

    Raises:
        InvalidArgument: empty query, unknown kind, bad cursor.
    """
    if not query.strip():
        raise InvalidArgument("query is empty; give some words to look for, e.g. 'login timeout'")
    unknown = sorted(set(kinds or ()) - set(SEARCHABLE))
    if unknown:
        raise InvalidArgument(f"kinds {', '.join(unknown)} cannot be searched; choose from {', '.join(SEARCHABLE)}")
    offset = decode_cursor(cursor, 1)
    start = offset[0] if offset else 0
    if not isinstance(start, int) or start < 0:
        raise InvalidArgument("cursor is not one this server returned; pass next_cursor from the previous page")
    rows = await w.search.search(query, list(kinds or SEARCHABLE), start, limit + 1)
    items = [SearchHit.model_validate(dict(r)) for r in rows[:limit]]
    return Page[SearchHit](items=items, next_cursor=encode_cursor(start + limit) if len(rows) > limit else None)


@transactional
async def task_feed(w: Work, *, status_state: str | None = None, claimed_by: str | None = None,
                    in_progress_over_s: str | None = None, cursor: str | None = None,
                    limit: str | None = None) -> dict[str, Any]:
    """The ``odm://feeds/tasks`` page (query values arrive as text).

    Raises:
        InvalidArgument: a value that is not a pair list, a number or a cursor.
    """
    pairs = [p.strip() for p in status_state.split(",") if p.strip()] if status_state else None
    for pair in pairs or ():
        if pair not in LIFECYCLES["task"].pairs:
            raise InvalidArgument(f"status_state {pair!r} is not a task pair; read odm://lifecycles/task")
    over = _number(in_progress_over_s, "in_progress_over_s", 0, 10**9)
    size = int(_number(limit, "limit", 1, FEED_MAX) or 200)
    after = decode_cursor(cursor, 1)
    rows = await w.feeds.tasks(status_state=pairs, claimed_by=claimed_by or None, over_s=over,
                               after=after[0] if after else None, limit=size + 1)
    items = [{**dict(r), **{k: r[k].isoformat() if r[k] else None
                            for k in ("claim_expires_at", "started_at", "updated_at")}} for r in rows[:size]]
    return {"items": items, "next_cursor": encode_cursor(items[-1]["id"]) if len(rows) > size else None}


def _number(text: str | None, name: str, low: float, high: float) -> float | None:
    if text is None or text == "":
        return None
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not low <= value <= high:
        raise InvalidArgument(f"{name} must be a number from {low:g} to {high:g}, not {text!r}")
    return value


@transactional
async def ready_tasks(w: Work, project_id: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """Claimable tasks in the order ``next_task`` hands them out. Raises: NotFound (project)."""
    if project_id:
        need(await w.projects.get(project_id), "project", project_id)
    return [dict(r) for r in await w.feeds.ready(project_id, limit)]


@read_only
async def ids_starting(w: Work, kind: str, prefix: str, limit: int = 101) -> list[str]:
    """Ids of projects, tickets, tasks, ideas or users beginning with ``prefix`` (argument completion)."""
    return await w.search.ids_starting(kind, prefix, limit)
