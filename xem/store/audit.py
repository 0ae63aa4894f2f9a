"""Audit events and alerts written by the router and by operator commands."""

from __future__ import annotations

import json
from typing import Any

import asyncpg

__all__ = ["AuditStore"]


class AuditStore:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def event(self, kind: str, *, agent: str | None = None, key: str | None = None, **details: Any) -> None:
        await self.conn.execute(
            "INSERT INTO xem.audit_events (kind, agent_name, public_key, details) VALUES ($1, $2, $3, $4::jsonb)",
            kind, agent, key, json.dumps(details, default=str),
        )

    async def alert(self, kind: str, severity: str, message: str, *, agent: str | None = None) -> None:
        await self.conn.execute(
            "INSERT INTO xem.alerts (kind, severity, message, agent_name) VALUES ($1, $2, $3, $4)",
            kind, severity, message, agent,
        )

    async def resolve_alerts(self, kind: str, agent: str) -> None:
        await self.conn.execute(
            "UPDATE xem.alerts SET resolved_at = now() WHERE kind = $1 AND agent_name = $2 AND resolved_at IS NULL",
            kind, agent,
        )

    async def events(self, *, agent: str | None = None, kind: str | None = None, limit: int = 100) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            "SELECT id, at, agent_name, public_key, kind, details FROM xem.audit_events "
            "WHERE ($1::text IS NULL OR agent_name = $1) AND ($2::text IS NULL OR kind = $2) ORDER BY id LIMIT $3",
            agent, kind, limit,
        )
