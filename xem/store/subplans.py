"""Sub-plans: a tool scope and an iteration cap, taken one iteration at a time by one conditional UPDATE; closing
or expiry is recorded on the row."""

from __future__ import annotations

import uuid

import asyncpg

__all__ = ["SubplanStore"]


class SubplanStore:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def insert(self, subplan_id: uuid.UUID, workspace: str, template: tuple[str, str, str, int] | None,
                     tool_scope: list[str], max_iterations: int, ttl_s: int, *, key: str | None, by: str | None) -> None:
        name, scope, owner, version = template or (None, None, None, None)
        await self.conn.execute(
            "INSERT INTO xem.subplans (id, workspace, template_name, template_scope, template_owner, template_version, "
            "tool_scope, max_iterations, idempotency_key, created_by, expires_at) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, now() + make_interval(secs => $11))",
            subplan_id, workspace, name, scope, owner, version, tool_scope, max_iterations, key, by, ttl_s)

    async def get(self, subplan_id: uuid.UUID, *, lock: bool = False) -> asyncpg.Record | None:
        return await self.conn.fetchrow("SELECT *, expires_at <= now() AS expired FROM xem.subplans WHERE id = $1"
                                        + (" FOR UPDATE" if lock else ""), subplan_id)

    async def by_key(self, key: str) -> asyncpg.Record | None:
        return await self.conn.fetchrow("SELECT id FROM xem.subplans WHERE idempotency_key = $1", key)

    async def take(self, subplan_id: uuid.UUID, workspace: str) -> int | None:
        """Take one iteration of an open, unexpired sub-plan of ``workspace`` below its cap: the iterations used now,
        or None (nothing changed). The WHERE decides, so concurrent calls never take more than the cap."""
        value: int | None = await self.conn.fetchval(
            "UPDATE xem.subplans SET used = used + 1 WHERE id = $1 AND workspace = $2 AND closed_at IS NULL "
            "AND expires_at > now() AND used < max_iterations RETURNING used", subplan_id, workspace)
        return value

    async def close(self, subplan_id: uuid.UUID, reason: str, note: str | None) -> bool:
        """Record the end of an open sub-plan (an expired one ends at its expiry time). False if it had ended."""
        status = await self.conn.execute(
            "UPDATE xem.subplans SET closed_at = CASE WHEN $2 = 'expired' THEN least(expires_at, now()) ELSE now() END, "
            "close_reason = $2, close_note = $3 WHERE id = $1 AND closed_at IS NULL", subplan_id, reason, note)
        return status.endswith(" 1")

    async def expire_due(self) -> int:
        status = await self.conn.execute(
            "UPDATE xem.subplans SET closed_at = expires_at, close_reason = 'expired' "
            "WHERE closed_at IS NULL AND expires_at <= now()")
        return int(status.split()[-1])

    async def executions(self, subplan_id: uuid.UUID) -> int:
        value: int = await self.conn.fetchval("SELECT count(*) FROM xem.invocations WHERE subplan_id = $1", subplan_id)
        return value
