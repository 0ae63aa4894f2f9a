"""Names by prefix for argument completion (what an operator tabs through): one read, no side effect."""

from __future__ import annotations

from bus.services._work import Work, read_only

__all__ = ["starting"]


@read_only
async def starting(work: Work, kind: str, prefix: str, limit: int = 101) -> list[str]:
    """Agent ids, lease names, event topics, todo/alert/message ids or assignees beginning with ``prefix``."""
    return await work.names.starting(kind, prefix, limit)
