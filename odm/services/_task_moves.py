"""Moving tasks through their lifecycle with the side effects the rules ask for.

Every move is checked by the task lifecycle (or proved legal by a route through it): claims are
dropped where they no longer apply, completion waits for the dependencies and releases the tasks
waiting on this one, and tasks that stop waiting are placed where the rules say (gate or ready).
"""

from __future__ import annotations

import asyncpg

from odm.domain.lifecycles import DEAD, FINISHED, LIFECYCLES
from odm.domain.rules import keeps_claim, placement, spec_stale
from odm.domain.timing import time_health
from odm.domain.views import TaskDetail, TaskOut
from odm.errors import Conflict, InvalidTransition
from odm.services._parents import follow_ticket
from odm.services._work import Work, jsonish
from odm.services.budgets import budget_fields, check_not_held

__all__ = ["TASK", "check_claim", "follow_move", "move_task", "place", "release_dependents", "route_task",
           "strand_dependents", "task_detail", "task_out"]

TASK = LIFECYCLES["task"]
DONE = "complete.completed"
BLOCKED = "plan.blocked"
_STARTED = ("execute", "review", "test", "recover")
_WHILE_HELD = ("approval", "discussion", "complete")  # where a task under a budget hold may still go (not back to work)


async def task_out(w: Work, row: asyncpg.Record, depends_on: list[str] | None = None) -> TaskOut:
    data = jsonish(row)
    deps = depends_on if depends_on is not None else await w.tasks.depends_on(row["id"])
    return TaskOut.model_validate(data | {"depends_on": deps, "spec_stale": spec_stale(data, data.get("spec_snapshot"))})


async def task_detail(w: Work, row: asyncpg.Record) -> TaskDetail:
    data = jsonish(row) | budget_fields("task", row)
    data |= time_health(data, await w.now(), len(await w.tasks.incomplete_dependencies(row["id"])))
    return TaskDetail.model_validate(data | {
        "depends_on": await w.tasks.depends_on(row["id"]),
        "blocks": await w.tasks.blocks(row["id"]),
        "spec_stale": spec_stale(data, data.get("spec_snapshot")),
    })


def check_claim(row: asyncpg.Record, token: int | None) -> None:
    """A write carrying ``token`` must come from the live claim (fencing).

    Raises:
        Conflict: the token is stale (released, expired or superseded by a newer claim).
    """
    if token is None:
        return
    key = row["id"]
    if row["claimed_by"] is None or row["claim_token"] != token:
        now = f"held by {row['claimed_by']} with token {row['claim_token']}" if row["claimed_by"] else "not claimed"
        raise Conflict(f"claim token {token} on task {key} is stale (the task is {now}); call next_task to get work")
    if row["claim_expired"] and row["status_state"] == "execute.active":
        raise Conflict(f"the claim on task {key} expired at {row['claim_expires_at'].isoformat()}; "
                       "call next_task to claim work again")


async def route_task(w: Work, row: asyncpg.Record, target: str, *, via: tuple[str, ...] = ()) -> asyncpg.Record:
    """Move along a route of allowed transitions to ``target`` (no-op if already there or no route)."""
    if row["status_state"] == target or TASK.route(row["status_state"], target, via=via) is None:
        return row
    status, state = target.split(".")
    return await w.tasks.set_pair(row["id"], status, state, clear_claim=not keeps_claim(target), activate=False)


async def place(w: Work, row: asyncpg.Record, *, paused: bool = False, effects: list[str] | None = None,
                because: str = "") -> asyncpg.Record:
    """Put a not-running task where the rules say: paused, blocked by a dead dependency, waiting on
    dependencies, at its gate, or ready. A move into or out of plan.blocked is recorded and, given
    ``effects``, reported there."""
    incomplete = await w.tasks.incomplete_dependencies(row["id"])
    dead = [d for d in incomplete if d["status_state"] in DEAD]
    target = placement(deps_done=not incomplete, requires_human=row["requires_human"],
                       requires_approval=row["requires_approval"], paused=paused, deps_dead=bool(dead))
    placed = await route_task(w, row, target, via=("follow",))
    source, now = row["status_state"], placed["status_state"]
    if BLOCKED in (source, now) and source != now:
        if now == BLOCKED:
            why = "depends on " + ", ".join(f"{d['id']} ({d['status_state']})" for d in dead) + ", which will not complete"
            text = f"{row['id']} blocked (plan.blocked): {why}"
        else:
            why = because or "no dependency of it is cancelled or failed any more"
            text = f"{row['id']} released from plan.blocked to {now} ({why})"
        await w.history.record("task", row["id"], source, now, why)
        if effects is not None:
            effects.append(text)
    return placed


async def strand_dependents(w: Work, key: str, pair: str) -> list[str]:
    """Block the tasks waiting on ``key``, which just ended ``pair`` without completing; the effects."""
    effects: list[str] = []
    for waiting in await w.tasks.dependents_in(key, ("plan.queued",)):
        await place(w, waiting, effects=effects)
    return effects


async def release_dependents(w: Work, key: str, why: str) -> list[str]:
    """Re-place the tasks blocked on ``key`` (revived, or no longer depended on); the effects."""
    effects: list[str] = []
    for blocked in await w.tasks.dependents_in(key, (BLOCKED,)):
        await place(w, blocked, effects=effects, because=why)
    return effects


async def follow_move(w: Work, key: str, ticket_id: str, source: str, target: str) -> list[str]:
    """After task ``key`` moved ``source -> target``: its dependents and its parents follow; the effects."""
    effects: list[str] = []
    if target in DEAD and source not in DEAD:
        effects += await strand_dependents(w, key, target)
    elif source in DEAD and target not in DEAD:
        effects += await release_dependents(w, key, f"{key} revived to {target}")
    because = f"task {key} {source} -> {target}"
    if target in FINISHED or source in FINISHED:
        effects += await follow_ticket(w, ticket_id, because)
    elif target.split(".")[0] in _STARTED and target != "execute.ready":
        effects += await follow_ticket(w, ticket_id, because, started=True)
    return effects


async def move_task(w: Work, row: asyncpg.Record, target: str, *, override: bool = False,
                    via: str | None = None) -> tuple[asyncpg.Record, list[str]]:
    """Move one task to ``target`` as the table allows (``via`` an action's reserved edge; ``override`` skips it).

    Raises:
        InvalidTransition: refused by the table, completing before the dependencies, running without a claim.
    """
    key, effects = row["id"], []
    if not override:
        TASK.check(row["status_state"], target, subject=f"task {key}", via=via)
        if target.split(".")[0] not in _WHILE_HELD:
            await check_not_held(w, key)
    if not override and target in (DONE, "ready.ready", "execute.ready"):
        waiting = await w.tasks.incomplete_dependencies(key)
        if waiting:
            listed = ", ".join(f"{d['id']} ({d['status_state']})" for d in waiting)
            verb = "complete" if target == DONE else "be ready"
            raise InvalidTransition(f"task {key} cannot {verb} while its dependencies are incomplete: {listed}; "
                                    "complete them first (or remove them with update_task)")
    gate = "approval.waiting" if row["requires_approval"] else "discussion.waiting" if row["requires_human"] else None
    if not override and gate and target == "ready.ready" and row["status"] == "plan":
        raise InvalidTransition(f"task {key} needs a human ({gate.split('.')[0]}) before it may run; move it to {gate}")
    activate = target == "execute.active"
    if not override and activate and via != "claim" and row["claimed_by"] is None:
        raise InvalidTransition(f"task {key} has no agent holding it, so it cannot be execute.active; move it to "
                                "execute.ready and an agent will claim it with next_task")
    status, state = target.split(".")
    moved = await w.tasks.set_pair(key, status, state, clear_claim=not keeps_claim(target), activate=activate)
    if row["claimed_by"] and moved["claimed_by"] is None:
        effects.append(f"claim of {row['claimed_by']} released")
    if target == DONE:
        for waiting in await w.tasks.ready_dependents(key):
            placed = await place(w, waiting)
            effects.append(f"{placed['id']} now {placed['status_state']}")
    if via == "revive":
        moved = await place(w, moved, effects=effects)
        effects.append(f"{key} restored to {moved['status_state']}")
    effects += await follow_move(w, key, row["ticket_id"], row["status_state"], moved["status_state"])
    return moved, effects
