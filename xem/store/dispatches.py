"""Dispatches (one per invocation) and what comes back: progress and the result, each once by frame id."""

from __future__ import annotations

import json
import uuid
from typing import Any

import asyncpg

from servers.kernel import channels
from xem.store.invocations import moving
from xem.store.learnings import counting, tallies

__all__ = ["DispatchStore"]

# the agent a frame speaks for, if its key ($1) is an active key of that agent ($2): ``leases.authorize`` as a CTE
_SPEAKING = "k AS (SELECT agent_name FROM xem.agent_keys WHERE public_key = $1 AND status = 'active' AND agent_name = $2)"

_OPEN = ("queued", "sent", "delivered")


class DispatchStore:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def notify_new(self, agent: str) -> None:
        """Tell every router (at commit) that ``agent`` has a new dispatch."""
        await self.conn.execute("SELECT pg_notify($1, $2)", channels.XEM_DISPATCH, agent)

    async def create(self, invocation_id: uuid.UUID, agent: str, workspace: str, tool: str, params: dict[str, Any],
                     risk: str, frame_id: uuid.UUID, trace_context: dict[str, Any],
                     scope: dict[str, Any] | None = None, *, notify: bool = False) -> None:
        """``notify``: and tell every router at commit (``notify_new``), in the same statement."""
        await self.conn.execute(
            "WITH queued AS (INSERT INTO xem.dispatches (id, agent_name, workspace, tool, params, risk, frame_id, trace_context, "
            "state, scope) VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8::jsonb, 'queued', $9::jsonb) RETURNING agent_name) "
            "SELECT pg_notify($10, agent_name) FROM queued WHERE $11",
            invocation_id, agent, workspace, tool, json.dumps(params), risk, frame_id, json.dumps(trace_context),
            None if scope is None else json.dumps(scope), channels.XEM_DISPATCH, notify,
        )

    async def get(self, invocation_id: uuid.UUID) -> asyncpg.Record | None:
        return await self.conn.fetchrow("SELECT * FROM xem.dispatches WHERE id = $1", invocation_id)

    async def claim_due(self, agents: list[str], resend_after_s: float) -> list[asyncpg.Record]:
        """Mark sent, and return oldest first, the dispatches due to ``agents``: queued ones, and sent ones not
        acknowledged within ``resend_after_s``, of agents that may receive dispatches (not in conflict_pill, not
        revoked). One statement: a dispatch another router is claiming right now is skipped, not sent twice."""
        rows = await self.conn.fetch(
            "UPDATE xem.dispatches SET state = 'sent', sent_at = now(), attempts = attempts + 1 WHERE id IN ("
            " SELECT d.id FROM xem.dispatches d JOIN xem.agents a ON a.name = d.agent_name "
            " WHERE d.agent_name = ANY($1::text[]) AND a.state IN ('online', 'offline') AND (d.state = 'queued' OR "
            " (d.state = 'sent' AND d.sent_at < now() - make_interval(secs => $2))) ORDER BY d.created_at LIMIT 1000 "
            " FOR UPDATE OF d SKIP LOCKED) RETURNING *",
            agents, resend_after_s,
        )
        return sorted(rows, key=lambda r: r["created_at"])

    async def unsend(self, invocation_id: uuid.UUID) -> None:
        """A claimed dispatch could not be sent (its agent's connection is gone): queued again, for its next connection."""
        await self.conn.execute(
            "UPDATE xem.dispatches SET state = 'queued', sent_at = NULL, attempts = attempts - 1 WHERE id = $1 AND state = 'sent'",
            invocation_id,
        )

    async def deliver(self, curve_key: str, sender: str, frame_id: uuid.UUID) -> tuple[bool, uuid.UUID | None]:
        """The agent acknowledged dispatch frame ``frame_id``, in one statement: (whether ``curve_key`` is an active key
        speaking for ``sender``, the invocation id if the frame was one of its open dispatches). The dispatch becomes
        delivered and its invocation, if still dispatched, running (announced like ``InvocationStore.set_state``)."""
        row = await self.conn.fetchrow(
            "WITH " + _SPEAKING + ", "
            "d AS (UPDATE xem.dispatches SET state = 'delivered', delivered_at = now() WHERE frame_id = $3 "
            "      AND agent_name = (SELECT agent_name FROM k) AND state IN ('queued', 'sent') RETURNING id), "
            "i AS (UPDATE xem.invocations SET state = 'running', updated_at = now(), started_at = coalesce(started_at, now()) "
            "      WHERE id = (SELECT id FROM d) AND state = 'dispatched' RETURNING id) "
            "SELECT EXISTS (SELECT 1 FROM k) AS authorized, (SELECT id FROM d) AS delivered, "
            "(SELECT pg_notify($4, id::text || ':running') FROM i) AS announced",
            curve_key, sender, frame_id, channels.XEM_INVOCATIONS,
        )
        return row["authorized"], row["delivered"]

    async def cancel_queued(self, invocation_id: uuid.UUID) -> bool:
        """Cancel a dispatch the router has not sent yet (it never reaches the agent); False if it left already."""
        found = await self.conn.fetchval(
            "UPDATE xem.dispatches SET state = 'cancelled', completed_at = now() WHERE id = $1 AND state = 'queued' RETURNING id",
            invocation_id,
        )
        return found is not None

    async def reroute(self, invocation_id: uuid.UUID, agent: str, frame_id: uuid.UUID) -> None:
        """Queue the dispatch again, to ``agent``, under a new frame id (a late result of the old agent is refused)."""
        await self.conn.execute(
            "UPDATE xem.dispatches SET agent_name = $2, frame_id = $3, state = 'queued', sent_at = NULL, delivered_at = NULL "
            "WHERE id = $1", invocation_id, agent, frame_id,
        )

    async def notify_cancel(self, agent: str) -> None:
        """Tell every router (at commit) that ``agent`` has an invocation to cancel."""
        await self.conn.execute("SELECT pg_notify($1, $2)", channels.XEM_DISPATCH, channels.CANCEL_PREFIX + agent)

    async def cancels_due(self, agents: list[str]) -> list[asyncpg.Record]:
        """(agent, invocation id, trace context) of dispatches to ``agents`` that left the router and whose invocation
        was cancelled."""
        return await self.conn.fetch(
            "SELECT d.agent_name, d.id, d.trace_context FROM xem.dispatches d JOIN xem.invocations i ON i.id = d.id "
            "WHERE d.agent_name = ANY($1::text[]) AND i.cancel_requested AND i.state IN ('dispatched', 'running') "
            "AND d.state IN ('sent', 'delivered') LIMIT 1000",
            agents,
        )

    async def record_result(self, agent: str, invocation_id: uuid.UUID, frame_id: uuid.UUID, result: dict[str, Any],
                            state: str) -> str:
        """'recorded', 'duplicate' (this frame or another result already stored) or 'unknown'."""
        row = await self.conn.fetchrow(
            "UPDATE xem.dispatches SET state = $4, result = $3::jsonb, result_frame_id = $5, completed_at = now() "
            "WHERE id = $1 AND agent_name = $2 AND result_frame_id IS NULL RETURNING id",
            invocation_id, agent, json.dumps(result), state, frame_id,
        )
        if row is not None:
            return "recorded"
        exists = await self.conn.fetchval("SELECT true FROM xem.dispatches WHERE id = $1 AND agent_name = $2", invocation_id, agent)
        return "duplicate" if exists else "unknown"

    async def settle(self, curve_key: str, sender: str, invocation_id: uuid.UUID, frame_id: uuid.UUID,
                     frame: dict[str, Any], state: str, result: dict[str, Any], error: str | None,
                     succeeded: bool | None) -> tuple[bool, bool]:
        """The common result, in one statement: (whether ``curve_key`` is an active key speaking for ``sender``,
        whether it was settled here). Settled only when the dispatch has no result yet and its invocation is in
        flight with a learnings key: the dispatch completes with ``frame``, the invocation moves to ``state`` (a
        final one) with ``result`` and ``error``, announced like ``InvocationStore.set_state``, and the learning
        is counted (``succeeded`` None: nothing to learn). Anything else changes nothing; the general path
        (``record_result`` and ``recovery.on_result``) decides it."""
        row = await self.conn.fetchrow(
            "WITH " + _SPEAKING + ", "
            "inv AS (SELECT id, workspace, tool, params_key, coalesce(arguments_redacted, arguments) AS params "
            "        FROM xem.invocations WHERE id = $3 AND state IN ('dispatched', 'running') AND params_key IS NOT NULL "
            "        FOR UPDATE), "
            "d AS (UPDATE xem.dispatches SET state = 'completed', result = $5::jsonb, result_frame_id = $4, completed_at = now() "
            "      WHERE id = (SELECT id FROM inv) AND agent_name = (SELECT agent_name FROM k) AND result_frame_id IS NULL "
            "      RETURNING id), "
            f"i AS (UPDATE xem.invocations SET {moving('$6', error='$8', result='$7::jsonb')} "
            "      WHERE id = (SELECT id FROM d) RETURNING id), "
            "l AS (" + counting(f"SELECT workspace, tool, params_key, params, {tallies('$9::int')}, id FROM inv "
                                "WHERE $9::int IS NOT NULL AND EXISTS (SELECT 1 FROM i)", "$9::int") + ") "
            "SELECT EXISTS (SELECT 1 FROM k) AS authorized, EXISTS (SELECT 1 FROM i) AS settled, "
            "(SELECT pg_notify($10, id::text || ':' || $6) FROM i) AS announced",  # l runs unreferenced, as a data-modifying CTE does
            curve_key, sender, invocation_id, frame_id, json.dumps(frame), state, json.dumps(result), error,
            None if succeeded is None else int(succeeded), channels.XEM_INVOCATIONS,
        )
        return row["authorized"], row["settled"]

    async def record_progress(self, agent: str, frame_id: uuid.UUID, invocation_id: uuid.UUID, seq: int, stream: str,
                              data: str) -> str:
        if not await self.conn.fetchval("SELECT true FROM xem.dispatches WHERE id = $1 AND agent_name = $2", invocation_id, agent):
            return "unknown"
        status = await self.conn.execute(
            "INSERT INTO xem.progress (frame_id, invocation_id, seq, stream, data) VALUES ($1, $2, $3, $4, $5) "
            "ON CONFLICT (frame_id) DO NOTHING", frame_id, invocation_id, seq, stream, data,
        )
        return "recorded" if status.endswith(" 1") else "duplicate"

    async def open_for(self, agent: str) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            "SELECT id, risk, state FROM xem.dispatches WHERE agent_name = $1 AND state = ANY($2::text[])", agent, list(_OPEN)
        )

    async def set_state(self, invocation_id: uuid.UUID, state: str) -> None:
        await self.conn.execute("UPDATE xem.dispatches SET state = $2 WHERE id = $1", invocation_id, state)

    async def progress(self, invocation_id: uuid.UUID) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            "SELECT frame_id, seq, stream, data FROM xem.progress WHERE invocation_id = $1 ORDER BY seq", invocation_id
        )
