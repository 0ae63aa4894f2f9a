"""Tasks and their dependency edges (``blocks`` is the same edge read backwards, so it stays symmetric)."""

from __future__ import annotations

from collections import deque

import asyncpg

from odm.domain.models import Task
from odm.domain.numbering import task_id_sql
from odm.store._base import Store

__all__ = ["TaskStore", "blocked_reason_sql"]

DONE = "complete.completed"
DEAD = ("complete.cancelled", "complete.failed")  # a dependency in one of these will never complete


def blocked_reason_sql(alias: str) -> str:
    """A column ``blocked_reason``: for a task in plan.blocked, the dependencies that will never complete."""
    return f"""CASE WHEN {alias}.status_state = 'plan.blocked' THEN (
        SELECT 'depends on ' || string_agg(x.id || ' (' || x.status_state || ')', ', ' ORDER BY x.id)
               || ', which will not complete; remove it from depends_on (update_task) or revive it'
          FROM task_dependencies d JOIN tasks x ON x.id = d.depends_on_id
         WHERE d.task_id = {alias}.id AND x.status_state IN ('complete.cancelled', 'complete.failed')) END AS blocked_reason"""


_EXPIRED = "(claim_expires_at IS NOT NULL AND claim_expires_at <= now()) AS claim_expired"


class TaskStore(Store):
    table, model = "tasks", Task
    _GRAPH_LOCK = 0x5849_0D01  # advisory lock id: serialises dependency-graph edits so two cannot close a cycle together

    async def lock_graph(self) -> None:
        """Hold the dependency-graph lock until the transaction ends."""
        await self.conn.execute("SELECT pg_advisory_xact_lock($1)", self._GRAPH_LOCK)

    async def get(self, key: str, *, lock: bool = False) -> asyncpg.Record | None:
        """The task (with ``claim_expired`` judged by the database clock), locked if asked."""
        return await self.conn.fetchrow(
            f"SELECT *, {_EXPIRED}, {blocked_reason_sql('tasks')} FROM tasks WHERE id = $1{' FOR UPDATE' if lock else ''}", key
        )

    async def set_pair(self, key: str, status: str, state: str, *, clear_claim: bool, activate: bool) -> asyncpg.Record:
        """Move to (status, state): drop the claim, or (``activate``) start it and refresh its lease."""
        return await self.conn.fetchrow(
            f"""UPDATE tasks SET status = $2, state = $3, state_changed_at = now(), updated_at = now(),
                   claimed_by = CASE WHEN $4 THEN NULL ELSE claimed_by END,
                   claimed_at = CASE WHEN $4 THEN NULL ELSE claimed_at END,
                   claim_expires_at = CASE WHEN $4 THEN NULL
                       WHEN $5 AND claimed_by IS NOT NULL THEN now() + make_interval(secs => coalesce(lease_seconds, 300))
                       ELSE claim_expires_at END,
                   started_at = CASE WHEN $5 THEN coalesce(started_at, now()) ELSE started_at END,
                   completed_at = CASE WHEN $2 = 'complete' THEN now() ELSE NULL END
               WHERE id = $1 RETURNING *, {_EXPIRED}""",
            key, status, state, clear_claim, activate,
        )

    async def insert_numbered(self, ticket_id: str, *, closed: tuple[str, ...], pair: str, paused_pair: str,
                              **values: object) -> asyncpg.Record | None:
        """Number the ticket's next task (``<ticket>.NN``) and insert it, in one statement.

        The counter bump locks the ticket row until the statement's transaction ends, so numbers
        have no gaps or duplicates. The task lands in ``pair``, or in ``paused_pair`` while its
        ticket waits (plan.waiting). None when the ticket is unknown or its status is ``closed``.
        """
        columns = self._checked(values)
        status, state = pair.split(".")
        paused_status, paused_state = paused_pair.split(".")
        given = self._typed(columns, 7)
        return await self.conn.fetchrow(
            f"""WITH t AS (
                    UPDATE tickets SET task_counter = task_counter + 1
                     WHERE id = $1 AND status <> ALL($2::text[])
                 RETURNING id, project_id, seq, task_counter, status_state = 'plan.waiting' AS paused)
                INSERT INTO tasks (id, ticket_id, project_id, ticket_seq, sequence, status, state, {', '.join(columns)})
                SELECT {task_id_sql('t.id', 't.task_counter')}, t.id, t.project_id, t.seq, t.task_counter,
                       CASE WHEN t.paused THEN $5::text ELSE $3::text END, CASE WHEN t.paused THEN $6::text ELSE $4::text END, {given}
                  FROM t
                RETURNING *""",
            ticket_id, list(closed), status, state, paused_status, paused_state, *values.values(),
        )

    async def add_constraints(self, key: str, items: list[str]) -> None:
        """Attach human constraints to the task (kept in order, each once)."""
        await self.conn.execute(
            """UPDATE tasks SET constraints = constraints || ARRAY(SELECT c FROM unnest($2::text[]) WITH ORDINALITY AS u(c, n)
                                                          WHERE c <> ALL(constraints) ORDER BY n), updated_at = now()
               WHERE id = $1""",
            key, items,
        )

    async def depends_on(self, key: str) -> list[str]:
        rows = await self.conn.fetch("SELECT depends_on_id FROM task_dependencies WHERE task_id = $1 ORDER BY 1", key)
        return [r["depends_on_id"] for r in rows]

    async def blocks(self, key: str) -> list[str]:
        rows = await self.conn.fetch("SELECT task_id FROM task_dependencies WHERE depends_on_id = $1 ORDER BY 1", key)
        return [r["task_id"] for r in rows]

    async def add_dependencies(self, key: str, deps: list[str]) -> None:
        if deps:
            await self.conn.execute(
                "INSERT INTO task_dependencies (task_id, depends_on_id) SELECT $1, d FROM unnest($2::text[]) AS d "
                "ON CONFLICT DO NOTHING",
                key, deps,
            )

    async def remove_dependencies(self, key: str, deps: list[str]) -> None:
        if deps:
            await self.conn.execute(
                "DELETE FROM task_dependencies WHERE task_id = $1 AND depends_on_id = ANY($2::text[])", key, deps
            )

    async def incomplete_dependencies(self, key: str) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            """SELECT t.id, t.status_state FROM task_dependencies d JOIN tasks t ON t.id = d.depends_on_id
               WHERE d.task_id = $1 AND t.status_state <> $2 ORDER BY t.id""",
            key, DONE,
        )

    async def dead_dependencies(self, key: str) -> list[asyncpg.Record]:
        """Dependencies of ``key`` that ended without completing (cancelled or failed)."""
        return await self.conn.fetch(
            """SELECT t.id, t.status_state FROM task_dependencies d JOIN tasks t ON t.id = d.depends_on_id
               WHERE d.task_id = $1 AND t.status_state = ANY($2::text[]) ORDER BY t.id""",
            key, list(DEAD),
        )

    async def dependents_in(self, key: str, pairs: tuple[str, ...]) -> list[asyncpg.Record]:
        """Tasks depending on ``key`` whose pair is one of ``pairs``, locked in id order."""
        return await self.conn.fetch(
            f"""SELECT t.*, {_EXPIRED} FROM task_dependencies b JOIN tasks t ON t.id = b.task_id
               WHERE b.depends_on_id = $1 AND t.status_state = ANY($2::text[]) ORDER BY t.id FOR UPDATE OF t""",
            key, list(pairs),
        )

    async def pairs_of_ticket(self, ticket_id: str) -> list[str]:
        """The distinct pairs of the ticket's tasks (what the follow rules look at)."""
        rows = await self.conn.fetch("SELECT DISTINCT status_state FROM tasks WHERE ticket_id = $1", ticket_id)
        return [r["status_state"] for r in rows]

    async def any_dead(self, keys: list[str]) -> bool:
        return bool(await self.conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM tasks WHERE id = ANY($1::text[]) AND status_state = ANY($2::text[]))", keys, list(DEAD)
        ))

    async def any_incomplete(self, keys: list[str]) -> bool:
        return bool(await self.conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM tasks WHERE id = ANY($1::text[]) AND status_state <> $2)", keys, DONE
        ))

    async def find_cycle(self, key: str, deps: list[str]) -> list[str] | None:
        """If ``key`` depending on ``deps`` closes a cycle, the cycle as ``[key, ..., key]``."""
        rows = await self.conn.fetch(
            """WITH RECURSIVE reach(id) AS (
                   SELECT unnest($1::text[])
                   UNION
                   SELECT d.depends_on_id FROM task_dependencies d JOIN reach r ON d.task_id = r.id
               )
               SELECT d.task_id, d.depends_on_id FROM task_dependencies d JOIN reach r ON d.task_id = r.id""",
            deps,
        )
        edges: dict[str, list[str]] = {}
        for row in rows:
            edges.setdefault(row["task_id"], []).append(row["depends_on_id"])
        for start in deps:
            previous: dict[str, str | None] = {start: None}
            queue = deque([start])
            while queue:
                node = queue.popleft()
                if node == key:
                    path = [node]
                    while previous[path[-1]] is not None:
                        path.append(previous[path[-1]])  # type: ignore[arg-type]
                    return [key, *reversed(path)]
                for nxt in sorted(edges.get(node, ())):
                    if nxt not in previous:
                        previous[nxt] = node
                        queue.append(nxt)
        return None

    async def ready_dependents(self, key: str) -> list[asyncpg.Record]:
        """Tasks blocked by ``key`` waiting in plan.queued whose dependencies are now all complete (locked).

        The waiting tasks are locked first and their dependencies read by a second statement, so two
        transactions completing a task's last two dependencies at once cannot both miss it.
        """
        queued = await self.conn.fetch(
            """SELECT t.id FROM task_dependencies b JOIN tasks t ON t.id = b.task_id
               WHERE b.depends_on_id = $1 AND t.status_state = 'plan.queued' ORDER BY t.id FOR UPDATE OF t""",
            key,
        )
        if not queued:
            return []
        return await self.conn.fetch(
            """SELECT t.* FROM tasks t WHERE t.id = ANY($1::text[]) AND t.status_state = 'plan.queued'
                 AND NOT EXISTS (SELECT 1 FROM task_dependencies d JOIN tasks x ON x.id = d.depends_on_id
                                 WHERE d.task_id = t.id AND x.status_state <> $2)
               ORDER BY t.id""",
            [r["id"] for r in queued], DONE,
        )

    async def share_lock(self, keys: list[str]) -> list[str]:
        """Lock ``keys`` against concurrent status changes until commit; returns the ids that exist.

        Taken before judging whether new dependencies are complete: a task completing meanwhile either
        waits for this transaction (and then sees the new edge) or is seen complete.
        """
        rows = await self.conn.fetch("SELECT id FROM tasks WHERE id = ANY($1::text[]) ORDER BY id FOR SHARE", keys)
        return [r["id"] for r in rows]

    async def of_ticket(self, ticket_id: str, *, lock: bool = False) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            f"SELECT * FROM tasks WHERE ticket_id = $1 ORDER BY sequence, id{' FOR UPDATE' if lock else ''}", ticket_id
        )

    async def move(self, keys: list[str], ticket_id: str, ticket_seq: int, project_id: str) -> None:
        await self.conn.execute(
            """UPDATE tasks SET ticket_id = $2, ticket_seq = $3, project_id = $4, updated_at = now()
               WHERE id = ANY($1::text[])""",
            keys, ticket_id, ticket_seq, project_id,
        )

    async def set_project_of_ticket(self, ticket_id: str, project_id: str) -> None:
        await self.conn.execute(
            "UPDATE tasks SET project_id = $2, updated_at = now() WHERE ticket_id = $1", ticket_id, project_id
        )

    async def page(self, *, ticket_id: str | None, project_id: str | None, status_state: list[str] | None,
                   claimed_by: str | None, after: str | None, limit: int) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            """SELECT id, title, status_state, priority, claimed_by FROM tasks
               WHERE ($1::text IS NULL OR ticket_id = $1) AND ($2::text IS NULL OR project_id = $2)
                 AND ($3::text[] IS NULL OR status_state = ANY($3)) AND ($4::text IS NULL OR claimed_by = $4)
                 AND ($5::text IS NULL OR id > $5)
               ORDER BY id LIMIT $6""",
            ticket_id, project_id, status_state, claimed_by, after, limit,
        )
