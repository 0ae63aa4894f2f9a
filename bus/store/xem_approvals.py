"""Pending XEM approval requests (``xem.approvals``), read for the attention queue.

Coupling, on purpose and in one place (the mirror of ``xem.store.bus_registry``): XEM owns those tables (bus
migration 0101) and shares the bus database, so the Bus reads them here in SQL rather than through XEM
(the Bus never imports ``xem``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

import asyncpg

__all__ = ["XemApprovalStore"]


class XemApprovalStore:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def pending(self) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            "SELECT a.id, a.invocation_id, a.assignee, a.due_at, a.created_at, i.workspace, i.tool, i.risk "
            "FROM xem.approvals a JOIN xem.invocations i ON i.id = a.invocation_id WHERE a.state = 'pending' "
            "ORDER BY a.created_at LIMIT 500"
        )

    async def states(self, ids: Iterable[uuid.UUID]) -> dict[str, asyncpg.Record]:
        rows = await self.conn.fetch("SELECT id, state, decided_by FROM xem.approvals WHERE id = ANY($1::uuid[])", list(ids))
        return {str(r["id"]): r for r in rows}
