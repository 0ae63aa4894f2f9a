"""Learnings and fork points: what each settled run teaches (its redacted parameter set succeeded or failed), the
known-good sets a planner asks for, and the fork point left before a destructive or irreversible call."""

from __future__ import annotations

import json
import uuid
from typing import Any

from xem.domain.learnings import FORKING_RISKS, LEARNED, params_key, redact
from xem.domain.views import ForkPoint, KnownGood, Learnings
from xem.services._work import Work, read_only

__all__ = ["fork_point_of", "leave_fork_point", "learn", "learnings", "list_forks", "redacted_arguments"]

async def learn(w: Work, agent: str, invocation: Any, state: str) -> None:
    """Count a run the agent reported, under its redacted arguments: succeeded, or failed/timed out with these
    parameters; other ends teach nothing."""
    if state not in LEARNED:
        return
    params = json.loads(invocation["arguments_redacted"] or invocation["arguments"])
    key = invocation["params_key"] or params_key(params)  # stored since migration 0106
    await w.learnings.count(invocation["workspace"], invocation["tool"], key, params,
                            succeeded=LEARNED[state], invocation_id=invocation["id"])


def redacted_arguments(arguments: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any] | None:
    """``arguments`` with their secrets redacted by ``schema``, or None when nothing was redacted."""
    redacted = redact(arguments, schema)
    return None if redacted == arguments else redacted


async def leave_fork_point(w: Work, invocation_id: uuid.UUID, workspace: str, tool: str, risk: str,
                           arguments: dict[str, Any], branch_ref: str | None, caller: str | None) -> None:
    """Before a destructive or irreversible call can be dispatched: the point its caller may roll back to
    (``arguments`` already redacted)."""
    if risk in FORKING_RISKS:
        await w.learnings.add_fork(invocation_id, workspace, tool, risk, arguments, branch_ref, caller)


async def fork_point_of(w: Work, invocation_id: uuid.UUID, risk: str) -> ForkPoint | None:
    if risk not in FORKING_RISKS:
        return None
    row = await w.learnings.fork_of(invocation_id)
    return None if row is None else ForkPoint(id=str(row["id"]), branch_ref=row["branch_ref"], at=row["created_at"])


@read_only
async def learnings(w: Work, workspace: str, tool: str, limit: int = 10) -> Learnings:
    """Known-good parameter sets of ``workspace__tool``, most used first; a set whose last run failed comes last, marked."""
    rows = await w.learnings.known_good(workspace, tool, limit)
    return Learnings(tool=f"{workspace}__{tool}", items=[
        KnownGood(params=json.loads(r["params"]), successes=r["successes"], failures=r["failures"],
                  last_success_at=r["last_success_at"], last_failed=r["failing"]) for r in rows])


@read_only
async def list_forks(w: Work, *, workspace: str | None = None, limit: int = 50) -> list[Any]:
    rows: list[Any] = await w.learnings.forks(workspace=workspace, limit=limit)
    return rows
