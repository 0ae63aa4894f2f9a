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
async def odm_attempted(w: Work, invocation_id: uuid.UUID, *, recorded: bool, error: str | None = None) -> None:
    await w.invocations.odm_attempt(invocation_id, recorded=recorded, error=error)
