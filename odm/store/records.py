"""Append-only records: ticket evolution (§11.3) and override records (§4.12A)."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from odm.domain.models import OverrideRecord, TicketEvolution
from odm.store._base import Store

__all__ = ["EvolutionStore", "OverrideStore"]


class EvolutionStore(Store):
    table, model = "ticket_evolutions", TicketEvolution

    async def latest(self, source_ticket_id: str, actions: tuple[str, ...]) -> asyncpg.Record | None:
        return await self.conn.fetchrow(
            """SELECT * FROM ticket_evolutions WHERE source_ticket_id = $1 AND action = ANY($2::text[])
               ORDER BY created_at DESC, length(id) DESC, id DESC LIMIT 1""",
            source_ticket_id, list(actions),
        )

    async def lineage(self, ticket_id: str, limit: int = 200) -> list[asyncpg.Record]:
        """Records about the ticket and, through the records that produced it, about its ancestors."""
        return await self.conn.fetch(
            """WITH RECURSIVE ancestry(tid) AS (
                   SELECT $1::text
                   UNION
                   SELECT e.source_ticket_id FROM ticket_evolutions e JOIN ancestry a ON a.tid = ANY(e.target_ticket_ids)
               )
               SELECT e.* FROM ticket_evolutions e
               WHERE e.source_ticket_id IN (SELECT tid FROM ancestry)
                  OR e.target_ticket_ids && (SELECT array_agg(tid) FROM ancestry)
               ORDER BY e.created_at, length(e.id), e.id LIMIT $2""",
            ticket_id, limit,
        )


class OverrideStore(Store):
    table, model = "override_records", OverrideRecord

    async def for_scope(self, scope_type: str | None, scope_ref: str | None, limit: int) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            """SELECT * FROM override_records WHERE ($1::text IS NULL OR scope_type = $1) AND ($2::text IS NULL OR scope_ref = $2)
               ORDER BY created_at DESC, length(id) DESC, id DESC LIMIT $3""",
            scope_type, scope_ref, limit,
        )

    async def in_effect(self, scope_type: str, scope_ref: str, now: datetime) -> list[asyncpg.Record]:
        """Interventions on a runtime or session whose window holds ``now`` and that no revocation in effect undoes."""
        return await self.conn.fetch(
            """SELECT o.* FROM override_records o
               WHERE o.scope_type = $1 AND o.scope_ref = $2 AND o.override_type <> 'revoke' AND o.effective_from <= $3
                 AND (o.effective_until IS NULL OR o.effective_until > $3)
                 AND NOT EXISTS (SELECT 1 FROM override_records r WHERE r.revokes_id = o.id AND r.effective_from <= $3)
               ORDER BY o.effective_from, length(o.id), o.id""", scope_type, scope_ref, now)

    async def revocation_of(self, override_id: str) -> asyncpg.Record | None:
        return await self.conn.fetchrow("SELECT * FROM override_records WHERE revokes_id = $1", override_id)
