"""Task use cases: create (numbered, placed by its dependencies and gates), update (spec versioning,
dependencies without cycles, reassignment snapshots), read and list."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg

from odm.domain.commands import TaskCreate, TaskUpdate
from odm.domain.rules import SPEC_FIELDS, placement
from odm.domain.views import Page, TaskBrief, TaskDetail, TaskOut
from odm.errors import Conflict, DependencyCycle, InvalidArgument, NotFound
from odm.services._parents import follow_ticket
from odm.services._task_moves import TASK, check_claim, place, route_task, task_detail, task_out
from odm.services._work import OdmServices, Work, dec, dumps, need, single_statement, transactional
from odm.store import decode_cursor, encode_cursor

__all__ = ["create_task", "get_task", "list_tasks", "update_task"]

_CLOSED_TICKET = ("complete", "archive")
_FINISHED_TICKET = ("review", "approval")  # a task added there sends the ticket back to execute (a transaction)


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


async def _check_deps_exist(w: Work, deps: list[str]) -> None:
    """Raises NotFound for an unknown dependency; share-locks the known ones (see TaskStore.share_lock)."""
    found = set(await w.tasks.share_lock(deps))
    missing = [d for d in deps if d not in found]
    if missing:
        raise NotFound(f"depends_on names no task {', '.join(missing)}; use ids like 1001.01 (odm://tickets/{id} lists a ticket's tasks)")


async def create_task(services: OdmServices, cmd: TaskCreate) -> TaskOut:
    """Create the next task of a ticket (``<ticket>.NN``), waiting on its dependencies or at its gate.

    A task without dependencies or idempotency key is numbered and inserted by one statement;
    otherwise (or when its ticket is in review or approval, which the new task sends back to execute)
    the check of its dependencies, the insert, its edges, the key and the ticket's move share a transaction.

    Raises:
        NotFound: unknown ticket or dependency. Conflict: the ticket is closed.
        IdempotencyMismatch: key reused with other content.
    """
    if not cmd.idempotency_key and not cmd.depends_on:
        alone = await _create_alone(services, cmd)
        if alone is not None:
            return alone
    return await _create_in_transaction(services, cmd)


@single_statement
async def _create_alone(w: Work, cmd: TaskCreate) -> TaskOut | None:
    """None when the ticket is closed or finished: the transaction then says why or moves the ticket."""
    row = await _insert(w, cmd, [], refuse=_CLOSED_TICKET + _FINISHED_TICKET)
    return None if row is None else await task_out(w, row, [])


@transactional
async def _create_in_transaction(w: Work, cmd: TaskCreate) -> TaskOut:
    if cmd.idempotency_key:
        existing = await w.idempotency.begin("create_task", cmd.idempotency_key, cmd.fingerprint())
        if existing:
            return await task_out(w, need(await w.tasks.get(existing), "task", existing))
    deps = _unique(cmd.depends_on)
    if deps:
        await _check_deps_exist(w, deps)
    row = await _insert(w, cmd, deps)
    if row is None:
        ticket = need(await w.tickets.get(cmd.ticket_id), "ticket", cmd.ticket_id)
        raise Conflict(f"ticket {ticket['id']} is {ticket['status_state']}; tasks cannot be added to it "
                       "(evolve_ticket action=revive reopens a cancelled one)")
    await w.tasks.add_dependencies(row["id"], deps)
    if cmd.idempotency_key:
        await w.idempotency.bind("create_task", cmd.idempotency_key, row["id"])
    effects = []
    if row["status_state"] == "plan.blocked":
        dead = await w.tasks.dead_dependencies(row["id"])
        why = "depends on " + ", ".join(f"{d['id']} ({d['status_state']})" for d in dead) + ", which will not complete"
        await w.history.record("task", row["id"], TASK.initial, row["status_state"], why)
        effects.append(f"{row['id']} blocked (plan.blocked): {why}")
    family = await w.tickets.family(cmd.ticket_id)
    if family is not None and family["ticket"].split(".")[0] in _FINISHED_TICKET:
        effects += await follow_ticket(w, cmd.ticket_id, f"task {row['id']} created")
    out = await task_out(w, row, sorted(deps))
    return out.model_copy(update={"effects": effects})


async def _insert(w: Work, cmd: TaskCreate, deps: list[str],
                  refuse: tuple[str, ...] = _CLOSED_TICKET) -> asyncpg.Record | None:
    """Number and insert the task, placed by its (checked) dependencies, its gates and its ticket; None
    when the ticket is unknown or its status is one of ``refuse``."""
    deps_done = not deps or not await w.tasks.any_incomplete(deps)
    dead = bool(deps) and not deps_done and bool(await w.tasks.any_dead(deps))
    gates = {"requires_human": cmd.requires_human, "requires_approval": cmd.requires_approval, "deps_dead": dead}
    pair, paused_pair = placement(deps_done=deps_done, **gates), placement(deps_done=deps_done, paused=True, **gates)
    for target in (pair, paused_pair):
        assert TASK.route(TASK.initial, target, via=("follow",)) is not None, target
    actor = cmd.actor
    return await w.tasks.insert_numbered(
        cmd.ticket_id, closed=refuse, pair=pair, paused_pair=paused_pair,
        title=cmd.title, objective=cmd.objective, description=cmd.description,
        requires_human=cmd.requires_human, requires_approval=cmd.requires_approval,
        acceptance_criteria=list(cmd.acceptance_criteria), priority=cmd.priority, risk_level=cmd.risk_level,
        execution_mode=cmd.execution_mode, plan_cost=dec(cmd.plan_cost), cost_cap=dec(cmd.cost_cap),
        plan_duration_minutes=dec(cmd.plan_duration_minutes),
        created_by=actor, updated_by=actor, idempotency_key=cmd.idempotency_key,
    )


@transactional
async def update_task(w: Work, cmd: TaskUpdate) -> TaskOut:
    """Change a task's spec, plan, gates, dependencies or assignee (fenced by ``claim_token`` if given).

    Raises:
        NotFound, Conflict (stale token, finished task), DependencyCycle, InvalidArgument.
    """
    row = need(await w.tasks.get(cmd.id, lock=True), "task", cmd.id)
    check_claim(row, cmd.claim_token)
    if row["status"] == "complete":
        raise Conflict(f"task {cmd.id} is {row['status_state']}; a finished task no longer changes "
                       "(create a new task for follow-up work)")
    given = cmd.model_dump(exclude_none=True, exclude={"id", "claim_token", "depends_on", "actor"})
    changes = {k: v for k, v in given.items() if row[k] != v}
    for money in ("plan_cost", "cost_cap", "plan_duration_minutes"):
        if money in changes:
            changes[money] = dec(changes[money])
    if any(f in changes for f in SPEC_FIELDS):
        changes["spec_version"] = row["spec_version"] + 1
    if "assigned_runtime_id" in changes:  # a (re)assignment records what the assignee was given
        spec = {f: changes.get(f, row[f]) for f in SPEC_FIELDS}
        changes["spec_snapshot"] = dumps(spec | {"spec_version": changes.get("spec_version", row["spec_version"]),
                                               "agent_id": changes["assigned_runtime_id"],
                                               "taken_at": datetime.now(UTC).isoformat()})
    deps_changed = False
    if cmd.depends_on is not None:
        deps_changed = await _replace_dependencies(w, cmd.id, _unique(cmd.depends_on))
    if changes:
        await w.tasks.update(cmd.id, **changes, updated_by=cmd.actor)
        row = await w.tasks.get(cmd.id)
    regated = any(changes.get(k) for k in ("requires_human", "requires_approval"))
    effects: list[str] = []
    if deps_changed or regated:
        row = await _replace(w, row, regated=regated, effects=effects)
    return (await task_out(w, row)).model_copy(update={"effects": effects})


async def _replace_dependencies(w: Work, key: str, wanted: list[str]) -> bool:
    current = set(await w.tasks.depends_on(key))
    added = [d for d in wanted if d not in current]
    removed = [d for d in current if d not in wanted]
    if key in added:
        raise DependencyCycle(f"task {key} cannot depend on itself")
    if added:
        await _check_deps_exist(w, added)
        await w.tasks.lock_graph()
        cycle = await w.tasks.find_cycle(key, added)
        if cycle:
            raise DependencyCycle(f"depending on {cycle[1]} would close the cycle {' -> '.join(cycle)} "
                                  "(each depends on the next); drop one of these dependencies")
    await w.tasks.remove_dependencies(key, removed)
    await w.tasks.add_dependencies(key, added)
    return bool(added or removed)


async def _replace(w: Work, row: asyncpg.Record, *, regated: bool, effects: list[str]) -> asyncpg.Record:
    """After a dependency or gate change, move a waiting, blocked or unclaimed ready task to where it now belongs."""
    pair = row["status_state"]
    if pair in ("plan.queued", "plan.blocked"):
        return await place(w, row, effects=effects, because="its dead dependencies were removed from depends_on")
    if pair in ("ready.ready", "execute.ready") and row["claimed_by"] is None:
        if await w.tasks.incomplete_dependencies(row["id"]):
            return await place(w, row, effects=effects)
        if regated:
            return await route_task(w, row, "approval.waiting" if row["requires_approval"] else "discussion.waiting")
    return row


@transactional
async def get_task(w: Work, key: str) -> TaskDetail:
    """Raises: NotFound."""
    return await task_detail(w, need(await w.tasks.get(key), "task", key))


@transactional
async def list_tasks(w: Work, *, ticket_id: str | None = None, project_id: str | None = None,
                     status_state: list[str] | None = None, claimed_by: str | None = None,
                     cursor: str | None = None, limit: int = 20) -> Page[TaskBrief]:
    """Raises: InvalidArgument (bad cursor or status_state)."""
    for pair in status_state or ():
        if pair not in TASK.pairs:
            raise InvalidArgument(f"status_state {pair!r} is not a task pair; read odm://lifecycles/task")
    after = decode_cursor(cursor, 1)
    rows = await w.tasks.page(ticket_id=ticket_id, project_id=project_id, status_state=status_state,
                              claimed_by=claimed_by, after=after[0] if after else None, limit=limit + 1)
    items = [TaskBrief.model_validate(dict(r)) for r in rows[:limit]]
    return Page[TaskBrief](items=items, next_cursor=encode_cursor(items[-1].id) if len(rows) > limit else None)
