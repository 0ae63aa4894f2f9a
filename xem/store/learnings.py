"""Learnings (known-good parameter sets per tool) and fork points (where a destructive call can be rolled back to)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import asyncpg

__all__ = ["LearningStore", "counting", "tallies"]


def counting(rows: str, succeeded: str) -> str:
    """The statement that counts one success (``succeeded`` = 1) or failure (0) of a parameter set; ``rows`` ends
    the column list with VALUES or a SELECT giving workspace, tool, params_key, params, then ``tallies(succeeded)``,
    then the invocation id. One text for ``LearningStore.count`` and the router's one-statement result."""
    return (
        "INSERT INTO xem.learnings AS l (workspace, tool, params_key, params, successes, failures, last_success_at, "
        f"last_failure_at, last_invocation_id) {rows} "
        f"ON CONFLICT (workspace, tool, params_key) DO UPDATE SET successes = l.successes + {succeeded}, "
        f"failures = l.failures + 1 - {succeeded}, "
        f"last_success_at = CASE WHEN {succeeded} = 1 THEN now() ELSE l.last_success_at END, "
        f"last_failure_at = CASE WHEN {succeeded} = 0 THEN now() ELSE l.last_failure_at END, "
        "last_invocation_id = EXCLUDED.last_invocation_id"
    )


def tallies(succeeded: str) -> str:
    """successes, failures, last_success_at, last_failure_at of a first count (see ``counting``)."""
    return (f"{succeeded}, 1 - {succeeded}, CASE WHEN {succeeded} = 1 THEN now() END, "
            f"CASE WHEN {succeeded} = 0 THEN now() END")


class LearningStore:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def count(self, workspace: str, tool: str, key: str, params: dict[str, Any], *, succeeded: bool,
                    invocation_id: uuid.UUID) -> None:
        """One more success (or failure) of this parameter set."""
        await self.conn.execute(
            counting(f"VALUES ($1, $2, $3, $4::jsonb, {tallies('$5::int')}, $6)", "$5::int"),
            workspace, tool, key, json.dumps(params), int(succeeded), invocation_id,
        )

    async def known_good(self, workspace: str, tool: str, limit: int) -> list[asyncpg.Record]:
        """Sets that succeeded at least once: those whose last run succeeded first, then by net and total successes."""
        return await self.conn.fetch(
            "SELECT params, successes, failures, last_success_at, last_failure_at, "
            "(last_failure_at IS NOT NULL AND last_failure_at > last_success_at) AS failing FROM xem.learnings "
            "WHERE workspace = $1 AND tool = $2 AND successes > 0 "
            "ORDER BY failing, successes - failures DESC, successes DESC, last_success_at DESC LIMIT $3",
            workspace, tool, limit,
        )

    async def add_fork(self, invocation_id: uuid.UUID, workspace: str, tool: str, risk: str, arguments: dict[str, Any],
                       branch_ref: str | None, caller: str | None) -> uuid.UUID:
        fork_id = uuid.uuid4()
        await self.conn.execute(
            "INSERT INTO xem.fork_points (id, invocation_id, workspace, tool, risk, arguments, branch_ref, caller) "
            "VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8)",
            fork_id, invocation_id, workspace, tool, risk, json.dumps(arguments), branch_ref, caller,
        )
        return fork_id

    async def fork_of(self, invocation_id: uuid.UUID) -> asyncpg.Record | None:
        return await self.conn.fetchrow("SELECT id, branch_ref, created_at FROM xem.fork_points WHERE invocation_id = $1",
                                        invocation_id)

    async def forks(self, *, workspace: str | None, limit: int) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            "SELECT f.id, f.invocation_id, f.workspace, f.tool, f.risk, f.arguments, f.branch_ref, f.caller, f.created_at, "
            "i.state FROM xem.fork_points f JOIN xem.invocations i ON i.id = f.invocation_id "
            "WHERE $1::text IS NULL OR f.workspace = $1 ORDER BY f.created_at DESC LIMIT $2",
            workspace, limit,
        )
