"""Enrolled agents in the Bus agent registry (``public.agent_registry``, role ``xem``).

Coupling, on purpose and in one place: the Bus owns that table (bus migration 0002) and XEM shares
the bus database, so the row is written here in SQL rather than through the Bus store (XEM never
imports ``bus``). Each lease renewal is the agent's heartbeat. A change of reported status is
announced on the Bus change channel (``bus://agents``, ``bus://agents/{id}``) as the Bus itself does.
A registry row of the same id with another role belongs to someone else and is left alone.
"""

from __future__ import annotations

import logging

import asyncpg

from servers.kernel import channels

__all__ = ["BusRegistryStore"]

log = logging.getLogger("xiopro.xem.registry")
_REPORTED = {"online": "online", "offline": "offline", "conflict_pill": "error", "revoked": "offline"}
_NOTES = {"conflict_pill": "XEM conflict_pill: two keys claim this name; run xeroctl agents recover",
          "revoked": "XEM keys revoked; enroll again with a new join key"}


class BusRegistryStore:
    """The XEM agents' rows in ``public.agent_registry``."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def upsert(self, name: str, state: str, *, in_flight: list[str] | None = None, heartbeat: bool = True) -> None:
        """Write the agent's registry row; ``heartbeat`` is False when the router, not the agent, changes it."""
        await _upsert(self.conn, name, state, in_flight, heartbeat)


async def _upsert(conn: asyncpg.Connection, name: str, state: str, in_flight: list[str] | None, heartbeat: bool) -> None:
    reported = _REPORTED[state]
    row = await conn.fetchrow(
        """
        INSERT INTO public.agent_registry (id, role, registration_name, capabilities, reported_status, in_flight, note)
        SELECT $1, 'xem', $1, coalesce((SELECT array_agg((t->>'workspace') || '__' || (t->>'name') ORDER BY 1)
                                        FROM xem.agents a, jsonb_array_elements(a.manifest->'tools') t WHERE a.name = $1), '{}'),
               $2, coalesce($3::text[], '{}'), $4
        ON CONFLICT (id) DO UPDATE SET
            capabilities = EXCLUDED.capabilities,
            reported_status = EXCLUDED.reported_status,
            status_since = CASE WHEN agent_registry.reported_status = EXCLUDED.reported_status
                                THEN agent_registry.status_since ELSE now() END,
            in_flight = coalesce($3::text[], agent_registry.in_flight),
            note = EXCLUDED.note,
            last_heartbeat_at = CASE WHEN $5 THEN now() ELSE agent_registry.last_heartbeat_at END
        WHERE agent_registry.role = 'xem'
        RETURNING (xmax = 0) AS inserted,
                  (SELECT r.reported_status FROM public.agent_registry r WHERE r.id = $1) AS before
        """,
        name, reported, in_flight, _NOTES.get(state), heartbeat,
    )
    if row is None:
        log.warning("Bus registry already has an agent %s with another role; its row is left alone", name)
        return
    if row["inserted"] or row["before"] != reported:
        await conn.execute("SELECT pg_notify($1, uri) FROM unnest($2::text[]) AS uri", channels.BUS_CHANGES,
                           ["bus://agents", f"bus://agents/{name}"])
