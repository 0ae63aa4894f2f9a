"""Approval policies (per workspace and risk) and approval requests; the first decision wins (one UPDATE)."""

from __future__ import annotations

import uuid

import asyncpg

__all__ = ["ApprovalStore"]


class ApprovalStore:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def policy(self, workspace: str, risk: str) -> asyncpg.Record | None:
        return await self.conn.fetchrow("SELECT * FROM xem.approval_policies WHERE workspace = $1 AND risk = $2",
                                        workspace, risk)

    async def policies(self, workspace: str) -> list[asyncpg.Record]:
        return await self.conn.fetch("SELECT * FROM xem.approval_policies WHERE workspace = $1", workspace)

    async def set_policy(self, workspace: str, risk: str, required: bool, sla_s: int, escalation: list[str], inline: bool,
                         by: str | None) -> None:
        await self.conn.execute(
            "INSERT INTO xem.approval_policies (workspace, risk, required, sla_s, escalation, inline, updated_by) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (workspace, risk) DO UPDATE SET required = EXCLUDED.required, "
            "sla_s = EXCLUDED.sla_s, escalation = EXCLUDED.escalation, inline = EXCLUDED.inline, "
            "updated_by = EXCLUDED.updated_by, updated_at = now()",
            workspace, risk, required, sla_s, escalation, inline, by,
        )

    async def open(self, approval_id: uuid.UUID, invocation_id: uuid.UUID, level: int, assignee: str | None,
                   sla_s: float) -> None:
        await self.conn.execute(
            "INSERT INTO xem.approvals (id, invocation_id, level, assignee, state, due_at) "
            "VALUES ($1, $2, $3, $4, 'pending', now() + make_interval(secs => $5))",
            approval_id, invocation_id, level, assignee, sla_s,
        )

    async def get(self, approval_id: uuid.UUID) -> asyncpg.Record | None:
        return await self.conn.fetchrow("SELECT * FROM xem.approvals WHERE id = $1", approval_id)

    async def latest_for(self, invocation_id: uuid.UUID) -> asyncpg.Record | None:
        return await self.conn.fetchrow(
            "SELECT * FROM xem.approvals WHERE invocation_id = $1 ORDER BY level DESC, created_at DESC LIMIT 1", invocation_id
        )

    async def decide(self, approval_id: uuid.UUID, state: str, by: str | None, reason: str | None, via: str) -> asyncpg.Record | None:
        """Resolve a pending request; None if it was not pending (someone decided first)."""
        return await self.conn.fetchrow(
            "UPDATE xem.approvals SET state = $2, decided_at = now(), decided_by = $3, reason = $4, via = $5 "
            "WHERE id = $1 AND state = 'pending' RETURNING *",
            approval_id, state, by, reason, via,
        )

    async def due(self, limit: int = 100) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            "SELECT * FROM xem.approvals WHERE state = 'pending' AND due_at <= now() ORDER BY due_at LIMIT $1 "
            "FOR UPDATE SKIP LOCKED", limit,
        )

    async def page(self, *, state: str | None, limit: int) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            "SELECT a.*, i.workspace, i.tool, i.risk, coalesce(i.arguments_redacted, i.arguments) AS arguments, "
            "i.requested_agent, i.state AS invocation_state "
            "FROM xem.approvals a JOIN xem.invocations i ON i.id = a.invocation_id "
            "WHERE ($1::text IS NULL OR a.state = $1) ORDER BY a.created_at LIMIT $2",
            state, limit,
        )
