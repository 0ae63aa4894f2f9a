"""Invocations and their idempotency keys; every state change is announced (at commit) on ``XEM_INVOCATIONS``."""

from __future__ import annotations

import json
import uuid
from typing import Any

import asyncpg

from servers.kernel import channels

__all__ = ["InvocationStore"]

_APPROVAL_FIELDS = ("id", "state", "level", "assignee", "due_at", "decided_at", "decided_by", "reason", "via")


def moving(state: str, *, agent: str = "NULL", error: str = "NULL", result: str = "NULL") -> str:
    """The SET list that moves an invocation to ``state`` (SQL expressions, the parameters of a statement; the
    service checked the transition): its timestamps, and a final state queues the ODM activity of a call with a
    task. One text for ``InvocationStore.set_state`` and the router's one-statement result."""
    return (
        f"state = {state}, updated_at = now(), agent_name = coalesce({agent}, agent_name), "
        f"error = coalesce({error}, error), result = coalesce({result}, result), "
        f"dispatched_at = CASE WHEN {state} = 'dispatched' THEN now() ELSE dispatched_at END, "
        f"started_at = CASE WHEN {state} = 'running' THEN coalesce(started_at, now()) ELSE started_at END, "
        f"finished_at = CASE WHEN {state} IN ('succeeded', 'failed', 'rejected', 'timeout', 'cancelled', 'ambiguous') "
        "                   THEN coalesce(finished_at, now()) ELSE finished_at END, "
        "odm_state = CASE WHEN task_id IS NOT NULL AND odm_state = 'none' "
        f"                  AND {state} IN ('succeeded', 'failed', 'rejected', 'timeout', 'cancelled') THEN 'pending' "
        "                 ELSE odm_state END"
    )


class InvocationStore:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def notify(self, invocation_id: uuid.UUID, state: str) -> None:
        """Tell every xem-mcp process (at commit) that the invocation changed: its waiters read it again."""
        await self.conn.execute("SELECT pg_notify($1, $2)", channels.XEM_INVOCATIONS, f"{invocation_id}:{state}")

    async def notify_progress(self, invocation_id: uuid.UUID) -> None:
        await self.conn.execute("SELECT pg_notify($1, $2)", channels.XEM_PROGRESS, str(invocation_id))

    async def context(self, workspace: str) -> asyncpg.Record:
        """What starting a call in ``workspace`` reads, in one statement: the workspace's ``kind`` and ``scope`` (NULL:
        no record), its model ``bindings`` ([role, model id, model id or NULL, provider, available, reported_by]), the
        ``serving`` agents ([name, manifest hash], by name: ``AgentStore.serving_hashes``), the ``in_flight`` count of
        each agent and the workspace's approval ``policies`` (JSON text each)."""
        row = await self.conn.fetchrow(
            "SELECT w.kind, w.scope, "
            "(SELECT coalesce(json_agg(json_build_array(b.role, b.model_id, m.id, m.provider, m.available, m.reported_by)), '[]') "
            " FROM xem.workspace_models b LEFT JOIN xem.models m ON m.id = b.model_id WHERE b.workspace = $1) AS bindings, "
            "(SELECT coalesce(json_agg(json_build_array(name, coalesce(manifest_hash, '')) ORDER BY name), '[]') "
            " FROM xem.agents WHERE state = 'online' AND manifest IS NOT NULL) AS serving, "
            "(SELECT coalesce(json_object_agg(agent_name, n), '{}') FROM (SELECT agent_name, count(*) AS n FROM xem.invocations "
            " WHERE state IN ('dispatched', 'running') AND agent_name IS NOT NULL GROUP BY agent_name) c) AS in_flight, "
            "(SELECT coalesce(json_agg(p), '[]') FROM xem.approval_policies p WHERE p.workspace = $1) AS policies "
            "FROM (SELECT 1) one LEFT JOIN xem.workspaces w ON w.name = $1",
            workspace,
        )
        assert row is not None
        return row

    async def insert(self, invocation_id: uuid.UUID, workspace: str, tool: str, arguments: dict[str, Any], digest: str,
                     risk: str, *, state: str, agent: str | None = None, requested_agent: str | None,
                     idempotency_key: str | None, task_id: str | None, caller: str | None, trace_context: dict[str, Any],
                     redacted: dict[str, Any] | None = None, template: tuple[str, str, str, int] | None = None,
                     session_ref: str | None = None, subplan_id: uuid.UUID | None = None,
                     params_key: str | None = None,
                     dispatch: tuple[uuid.UUID, dict[str, Any] | None] | None = None) -> asyncpg.Record:
        """A new invocation in its first ``state`` (pending_approval, or dispatched to ``agent``), announced like a
        change; ``redacted``: the arguments with secrets redacted, when that differs from them; ``params_key``: their
        learnings key; ``dispatch`` (frame id, scope): and its dispatch queued for the router, announced to every router
        (``DispatchStore.create``), in the same statement. The new row."""
        name, scope, owner, version = template or (None, None, None, None)
        frame_id, dispatch_scope = dispatch or (None, None)
        row = await self.conn.fetchrow(
            "WITH created AS (INSERT INTO xem.invocations (id, workspace, tool, arguments, request_hash, risk, state, "
            "requested_agent, idempotency_key, task_id, caller, trace_context, arguments_redacted, template_name, "
            "template_scope, template_owner, template_version, session_ref, subplan_id, agent_name, dispatched_at, params_key) "
            "VALUES ($1, $2, $3, $4::jsonb, $5, $6, $19, $7, $8, $9, $10, $11::jsonb, $12::jsonb, $13, $14, $15, $16, "
            "$17, $18, $20, CASE WHEN $19 = 'dispatched' THEN now() END, $22) RETURNING *), "
            "queued AS (INSERT INTO xem.dispatches (id, agent_name, workspace, tool, params, risk, frame_id, trace_context, "
            "state, scope) SELECT id, agent_name, workspace, tool, arguments, risk, $23, trace_context, 'queued', $24::jsonb "
            "FROM created WHERE $23::uuid IS NOT NULL RETURNING agent_name) "
            "SELECT created.*, pg_notify($21, created.id::text || ':' || $19) AS announced, "
            "(SELECT pg_notify($25, agent_name) FROM queued) AS queued FROM created",
            invocation_id, workspace, tool, json.dumps(arguments), digest, risk, requested_agent, idempotency_key, task_id,
            caller, json.dumps(trace_context), None if redacted is None else json.dumps(redacted), name, scope, owner,
            version, session_ref, subplan_id, state, agent, channels.XEM_INVOCATIONS, params_key,
            frame_id, None if dispatch_scope is None else json.dumps(dispatch_scope), channels.XEM_DISPATCH,
        )
        assert row is not None
        return row

    async def session_approved(self, template: tuple[str, str, str], session_ref: str) -> bool:
        """Whether an invocation under ``template`` (name, scope, owner) in ``session_ref`` has a granted approval."""
        value: bool = await self.conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM xem.invocations i JOIN xem.approvals a ON a.invocation_id = i.id "
            "WHERE i.template_name = $1 AND i.template_scope = $2 AND i.template_owner = $3 AND i.session_ref = $4 "
            "AND a.state = 'approved')", *template, session_ref)
        return value

    async def claim_key(self, key: str, invocation_id: uuid.UUID, digest: str, retention_s: float) -> asyncpg.Record:
        """Bind ``key`` to ``invocation_id`` unless it is bound (and unexpired); the row that holds the key now.

        The primary key decides: a concurrent first use waits here for the other transaction to commit."""
        row = await self.conn.fetchrow(
            "INSERT INTO xem.idempotency_keys (key, invocation_id, request_hash, expires_at) "
            "VALUES ($1, $2, $3, now() + make_interval(secs => $4)) "
            "ON CONFLICT (key) DO UPDATE SET invocation_id = EXCLUDED.invocation_id, request_hash = EXCLUDED.request_hash, "
            "created_at = now(), expires_at = EXCLUDED.expires_at WHERE xem.idempotency_keys.expires_at <= now() "
            "RETURNING key, invocation_id, request_hash",
            key, invocation_id, digest, retention_s,
        )
        if row is None:
            row = await self.conn.fetchrow("SELECT key, invocation_id, request_hash FROM xem.idempotency_keys WHERE key = $1", key)
        assert row is not None
        return row

    async def purge_keys(self) -> int:
        status = await self.conn.execute("DELETE FROM xem.idempotency_keys WHERE expires_at <= now()")
        return int(status.split()[-1])

    async def get(self, invocation_id: uuid.UUID, *, lock: bool = False) -> asyncpg.Record | None:
        return await self.conn.fetchrow("SELECT * FROM xem.invocations WHERE id = $1" + (" FOR UPDATE" if lock else ""),
                                        invocation_id)

    async def get_with_approval(self, invocation_id: uuid.UUID) -> tuple[asyncpg.Record, dict[str, Any] | None] | None:
        """The invocation and its latest approval request (if any), in one statement."""
        row = await self.conn.fetchrow(
            "SELECT i.*, " + ", ".join(f"a.{c} AS approval_{c}" for c in _APPROVAL_FIELDS) + " FROM xem.invocations i "
            "LEFT JOIN LATERAL (SELECT * FROM xem.approvals WHERE invocation_id = i.id ORDER BY level DESC, created_at DESC "
            "LIMIT 1) a ON true WHERE i.id = $1", invocation_id,
        )
        if row is None:
            return None
        approval = None if row["approval_id"] is None else {c: row[f"approval_{c}"] for c in _APPROVAL_FIELDS}
        return row, approval

    async def set_state(self, invocation_id: uuid.UUID, state: str, *, agent: str | None = None, error: str | None = None,
                        result: dict[str, Any] | None = None) -> None:
        """Move to ``state`` (the service checked the transition), stamping the matching timestamp."""
        await self.conn.execute(  # the notice in the same statement: one round trip
            f"WITH moved AS (UPDATE xem.invocations SET {moving('$2', agent='$3', error='$4', result='$5::jsonb')} "
            "WHERE id = $1 RETURNING id) SELECT pg_notify($6, $1::text || ':' || $2) FROM moved",
            invocation_id, state, agent, error, None if result is None else json.dumps(result), channels.XEM_INVOCATIONS,
        )

    async def mark_cancel_requested(self, invocation_id: uuid.UUID) -> None:
        await self.conn.execute("UPDATE xem.invocations SET cancel_requested = true, updated_at = now() WHERE id = $1",
                                invocation_id)

    async def count_redispatch(self, invocation_id: uuid.UUID) -> None:
        await self.conn.execute("UPDATE xem.invocations SET redispatches = redispatches + 1 WHERE id = $1", invocation_id)

    async def resolve(self, invocation_id: uuid.UUID, state: str, resolution: dict[str, Any]) -> None:
        await self.conn.execute(
            "UPDATE xem.invocations SET state = $2, resolution = $3::jsonb, updated_at = now(), "
            "odm_state = CASE WHEN task_id IS NOT NULL AND odm_state = 'none' THEN 'pending' ELSE odm_state END "
            "WHERE id = $1",
            invocation_id, state, json.dumps(resolution),
        )
        await self.notify(invocation_id, state)

    async def settle_late(self, invocation_id: uuid.UUID, state: str, result: dict[str, Any]) -> None:
        """A result that reached an ambiguous (or operator-resolved) invocation: it is the truth; the resolution stays."""
        await self.conn.execute(
            "UPDATE xem.invocations SET state = $2, result = $3::jsonb, late_result = true, updated_at = now(), "
            "odm_state = CASE WHEN task_id IS NOT NULL AND odm_state = 'none' THEN 'pending' ELSE odm_state END "
            "WHERE id = $1",
            invocation_id, state, json.dumps(result),
        )
        await self.notify(invocation_id, state)

    async def in_flight_on(self, agent: str) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            "SELECT i.id, i.risk, i.state, i.workspace, i.tool, i.agent_name, i.redispatches, i.requested_agent, i.cancel_requested, "
            "d.state AS dispatch_state "
            "FROM xem.invocations i JOIN xem.dispatches d ON d.id = i.id "
            "WHERE i.agent_name = $1 AND i.state IN ('dispatched', 'running') FOR UPDATE OF i", agent,
        )

    async def page(self, *, state: str | None, limit: int, after: uuid.UUID | None) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            "SELECT id, workspace, tool, risk, state, agent_name, created_at, finished_at, resolution IS NOT NULL AS resolved "
            "FROM xem.invocations WHERE ($1::text IS NULL OR state = $1) "
            "AND ($3::uuid IS NULL OR (created_at, id) > (SELECT created_at, id FROM xem.invocations WHERE id = $3)) "
            "ORDER BY created_at, id LIMIT $2",
            state, limit, after,
        )

    async def odm_pending(self, limit: int) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            "SELECT * FROM xem.invocations WHERE odm_state = 'pending' ORDER BY updated_at LIMIT $1",
            limit,
        )

    async def odm_attempt(self, invocation_id: uuid.UUID, *, outcome: str, error: str | None) -> None:
        """``outcome``: recorded, refused (for good) or pending (retried later, behind the others)."""
        await self.conn.execute(
            "UPDATE xem.invocations SET odm_attempts = odm_attempts + 1, odm_error = $3, odm_state = $2, "
            "updated_at = now() WHERE id = $1",
            invocation_id, outcome, error,
        )

    async def in_flight_counts(self) -> dict[str, int]:
        rows = await self.conn.fetch(
            "SELECT agent_name, count(*) FROM xem.invocations WHERE state IN ('dispatched', 'running') "
            "AND agent_name IS NOT NULL GROUP BY agent_name"
        )
        return {r[0]: r[1] for r in rows}
