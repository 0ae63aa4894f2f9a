"""Claims on tasks: the atomic claim-or-renew of ``next_task``, lease expiry, renewal and release.

A claim moves a claimable task to ``execute.active`` with a fencing ``claim_token`` from a
sequence (strictly increasing over every claim). ``FOR UPDATE SKIP LOCKED`` hands each task to
one caller only. The SQL states come from the task lifecycle (checked at import).
"""

from __future__ import annotations

import asyncpg

from odm.domain.lifecycles import LIFECYCLES
from odm.domain.models import CLAIMABLE_PREDICATE
from odm.domain.types import DEFAULT_LEASE_SECONDS
from odm.store._base import Store

__all__ = ["CLAIMED", "ClaimStore", "RELEASED", "TICKET_STARTABLE"]

_TASK, _TICKET = LIFECYCLES["task"], LIFECYCLES["ticket"]
CLAIMED = "execute.active"
RELEASED = "ready.ready"  # where an expired or released claim returns
for _source in ("ready.ready", "execute.ready"):
    _TASK.check(_source, CLAIMED, subject="claim", via="claim")
_TASK.check(CLAIMED, RELEASED, subject="claim expiry")
# Ticket pairs a first claim on one of its tasks moves to execute.active (a free route exists).
TICKET_STARTABLE = tuple(p for p in _TICKET.pairs if p.split(".")[0] in ("create", "plan", "ready")
                         and _TICKET.route(p, "execute.active") is not None)

_SNAPSHOT = """jsonb_build_object('spec_version', t.spec_version, 'title', t.title, 'objective', t.objective,
    'description', t.description, 'acceptance_criteria', to_jsonb(t.acceptance_criteria), 'agent_id', $1::text,
    'taken_at', now())"""

# A live claim of the caller, found by claimer only: ``claim_expires_at`` stays inside an expression so that
# no plan can walk every live claim through the expiry index instead (PostgreSQL's cached generic plan did,
# once claims were spread over many agents: a test keeps it out).
_LIVE_CLAIM_OF_1 = f"claimed_by = $1 AND status_state = '{CLAIMED}' AND claim_expires_at - now() > interval '0'"

_DEPS = "ARRAY(SELECT d.depends_on_id FROM task_dependencies d WHERE d.task_id = {t}.id ORDER BY 1)"


def _claim_sql(with_project: bool) -> str:
    scope = "AND project_id = $2" if with_project else "AND $2::text IS NULL"
    startable = ", ".join(f"'{p}'" for p in TICKET_STARTABLE)
    return f"""
    WITH renewed AS (
        UPDATE tasks SET claim_expires_at = now() + make_interval(secs => $3), lease_seconds = $3, updated_at = now()
        WHERE {_LIVE_CLAIM_OF_1} {scope}
        RETURNING *
    ), candidate AS (
        SELECT t.id FROM tasks t
        WHERE {CLAIMABLE_PREDICATE} {scope}
          AND NOT EXISTS (SELECT 1 FROM budget_holds h WHERE h.task_id = t.id AND h.released_at IS NULL)
          AND NOT EXISTS (SELECT 1 FROM task_dependencies d JOIN tasks x ON x.id = d.depends_on_id
                          WHERE d.task_id = t.id AND x.status_state <> 'complete.completed')
          AND NOT EXISTS (SELECT 1 FROM renewed)
        ORDER BY t.priority_order, t.ticket_seq, t.sequence
        LIMIT 1 FOR UPDATE OF t SKIP LOCKED
    ), claimed AS (
        UPDATE tasks t SET status = 'execute', state = 'active', claimed_by = $1,
            claim_token = nextval('claim_token_seq'), claimed_at = now(),
            claim_expires_at = now() + make_interval(secs => $3), lease_seconds = $3,
            assigned_runtime_id = $1, attempt_count = t.attempt_count + 1, started_at = coalesce(t.started_at, now()),
            spec_snapshot = {_SNAPSHOT}, state_changed_at = now(), updated_at = now()
        FROM candidate c WHERE t.id = c.id
        RETURNING t.*
    ), started AS (  -- data-modifying: runs whether or not it is read
        UPDATE tickets SET status = 'execute', state = 'active', updated_at = now()
        WHERE id IN (SELECT ticket_id FROM claimed) AND status_state IN ({startable or "''"})
        RETURNING id
    )
    SELECT r.*, true AS renewed, {_DEPS.format(t="r")} AS depends_on FROM renewed r
    UNION ALL
    SELECT c.*, false AS renewed, {_DEPS.format(t="c")} AS depends_on FROM claimed c
    ORDER BY renewed DESC, priority_order, ticket_seq, sequence
    """


_CLAIM_ANY, _CLAIM_IN_PROJECT = _claim_sql(False), _claim_sql(True)


class ClaimStore(Store):
    @staticmethod
    def claim_statement(project_id: str | None) -> str:
        """The claim-or-renew SQL; parameters: agent id, project id, lease seconds."""
        return _CLAIM_IN_PROJECT if project_id is not None else _CLAIM_ANY

    async def claim_or_renew(self, agent_id: str, project_id: str | None, lease_seconds: int) -> list[asyncpg.Record]:
        """Renew the agent's live claims (in scope); if it has none, claim the best claimable task."""
        return await self.conn.fetch(self.claim_statement(project_id), agent_id, project_id, float(lease_seconds))

    async def sweep_expired(self) -> list[str]:
        """Return tasks whose lease ran out to ready (their last token stays, so it is stale)."""
        rows = await self.conn.fetch(
            f"""UPDATE tasks SET status = 'ready', state = 'ready', claimed_by = NULL, claim_expires_at = NULL,
                    claimed_at = NULL, state_changed_at = now(), updated_at = now()
                WHERE claimed_by IS NOT NULL AND status_state = '{CLAIMED}' AND claim_expires_at <= now()
                RETURNING id"""
        )
        return [r["id"] for r in rows]

    async def renew(self, agent_id: str, lease_seconds: int | None) -> list[asyncpg.Record]:
        """Extend the live claims of ``agent_id`` by ``lease_seconds`` (None: each by its own lease)."""
        return await self.conn.fetch(
            f"""UPDATE tasks SET lease_seconds = coalesce($2, lease_seconds, {DEFAULT_LEASE_SECONDS}),
                       claim_expires_at = now() + make_interval(secs => coalesce($2, lease_seconds, {DEFAULT_LEASE_SECONDS})),
                       updated_at = now()
                WHERE {_LIVE_CLAIM_OF_1}
                RETURNING id, claim_token, claim_expires_at""",
            agent_id, None if lease_seconds is None else int(lease_seconds),
        )

    async def held_by(self, agent_id: str) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            "SELECT * FROM tasks WHERE claimed_by = $1 ORDER BY id FOR UPDATE", agent_id
        )

    async def waiting_counts(self, project_id: str | None) -> dict[str, int]:
        rows = await self.conn.fetch(
            """SELECT status_state, count(*) AS n FROM tasks
               WHERE ($1::text IS NULL OR project_id = $1)
                 AND status_state NOT IN ('complete.completed', 'complete.cancelled', 'complete.failed')
               GROUP BY 1 ORDER BY 1""",
            project_id,
        )
        return {r["status_state"]: r["n"] for r in rows}
