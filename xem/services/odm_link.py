"""The ODM link's bookkeeping: finished invocations with a task_id wait (``odm_state = pending``) until the ODM
accepted their ``tool_call`` activity; ``xem.odm_link`` sends them through the ODM server's MCP API."""

from __future__ import annotations

import uuid
from typing import Any

from xem.services._work import Work, single_statement

__all__ = ["odm_attempted", "odm_pending"]


@single_statement
async def odm_pending(w: Work, limit: int = 50) -> list[Any]:
    """Invocations whose activity the ODM has not accepted yet (oldest first)."""
    rows: list[Any] = await w.invocations.odm_pending(limit)
    return rows


@single_statement
async def odm_attempted(w: Work, invocation_id: uuid.UUID, *, outcome: str, error: str | None = None) -> None:
    """Record one attempt: ``recorded``, ``refused`` (the ODM will never take it) or ``pending`` (try again later)."""
    if outcome not in ("recorded", "refused", "pending"):
        raise ValueError(f"outcome {outcome!r}")
    await w.invocations.odm_attempt(invocation_id, outcome=outcome, error=error)
