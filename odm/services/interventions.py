"""Runtime interventions (§10.5) as Override Records (§4.12A): pause, resume, constrain or reroute a runtime or a
session for an effective window; a revocation is a new record naming the one it revokes (the original is never
rewritten). A pause or resume in effect when written moves the runtime or session too (when its lifecycle allows)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from odm.domain.execution import InterventionCreate
from odm.domain.execution_views import InterventionOut
from odm.domain.lifecycles import LIFECYCLES
from odm.errors import Conflict, InvalidArgument, NotFound
from odm.services._work import Work, dumps, jsonish, transactional

__all__ = ["in_effect", "intervene"]

_SCOPES = {"agent_runtime": ("runtime", "runtimes"), "session": ("session", "sessions")}
_MOVES = {"pause": ("execute.active", "execute.paused"), "resume": ("execute.paused", "execute.active")}


async def in_effect(w: Work, scope_type: str, scope_ref: str, now: datetime) -> list[dict[str, Any]]:
    return [jsonish(r) | {"in_effect": True} for r in await w.overrides.in_effect(scope_type, scope_ref, now)]


async def _target(w: Work, scope_type: str, scope_ref: str) -> asyncpg.Record:
    kind, store = _SCOPES[scope_type]
    row = await getattr(w, store).get(scope_ref, lock=True)
    if row is None:
        raise NotFound(f"scope_ref: no {kind} {scope_ref} (read odm://runtimes or odm://runtimes/{{id}} for its sessions)")
    return row


def _check(cmd: InterventionCreate, start: datetime) -> None:
    if (cmd.mode is None) == (cmd.revokes is None):
        raise InvalidArgument("mode: give a mode (pause, resume, constrain, reroute) or revokes (an intervention id), "
                              "exactly one of them")
    if cmd.effective_until is not None and cmd.effective_until <= start:
        raise InvalidArgument(f"effective_until: {cmd.effective_until.isoformat()} is not after effective_from "
                              f"({start.isoformat()})")
    if cmd.mode == "constrain" and not cmd.constraints:
        raise InvalidArgument("constraints: a constrain intervention needs at least one constraint")
    if cmd.mode == "reroute" and not (cmd.model or cmd.execution_surface_id):
        raise InvalidArgument("model: a reroute names the model or execution_surface_id to move to")


async def _revoked(w: Work, cmd: InterventionCreate) -> asyncpg.Record:
    assert cmd.revokes is not None
    row = await w.overrides.get(cmd.revokes, lock=True)
    if row is None or (row["scope_type"], row["scope_ref"]) != (cmd.scope_type, cmd.scope_ref):
        raise NotFound(f"revokes: no intervention {cmd.revokes} on {cmd.scope_type} {cmd.scope_ref}")
    if row["override_type"] == "revoke":
        raise InvalidArgument(f"revokes: {cmd.revokes} is itself a revocation; a revocation cannot be revoked")
    if (earlier := await w.overrides.revocation_of(cmd.revokes)) is not None:
        raise Conflict(f"revokes: {cmd.revokes} was already revoked by {earlier['id']}")
    return row


@transactional
async def intervene(w: Work, cmd: InterventionCreate) -> InterventionOut:
    """Write an intervention (or a revocation) on a runtime or session; apply a pause/resume in effect now.

    Raises: NotFound (scope, revoked record, surface), InvalidArgument (mode/revokes, window, params), Conflict.
    """
    now = await w.now()
    start = cmd.effective_from or now
    _check(cmd, start)
    target = await _target(w, cmd.scope_type, cmd.scope_ref)
    if cmd.execution_surface_id and await w.surfaces.get(cmd.execution_surface_id) is None:
        raise NotFound(f"execution_surface_id: no execution surface {cmd.execution_surface_id}")
    mode = cmd.mode or "revoke"
    move: tuple[str, str] | None = _MOVES.get(mode)
    if cmd.revokes is not None:
        undone = _MOVES.get((await _revoked(w, cmd))["override_type"])
        move = None if undone is None else (undone[1], undone[0])  # revoking a pause resumes, and back
    params = {"initiated_by": cmd.initiated_by} | {k: v for k, v in (
        ("constraints", list(cmd.constraints)), ("model", cmd.model), ("execution_surface_id", cmd.execution_surface_id))
        if v}
    row = await w.overrides.insert(
        scope_type=cmd.scope_type, scope_ref=cmd.scope_ref, override_type=mode, reason=cmd.reason,
        issued_by=w.actor(cmd.issued_by), prior_state_ref=target["status_state"], override_params=dumps(params),
        effective_from=start, effective_until=cmd.effective_until, revokes_id=cmd.revokes, created_by=cmd.issued_by)
    effects = [f"override record {row['id']} written"]
    kind, store = _SCOPES[cmd.scope_type]
    if move is not None and start <= now:
        source, goal = move
        if target["status_state"] == source and goal in LIFECYCLES[kind].edges[source]:
            status, state = goal.split(".")
            await getattr(w, store).update(cmd.scope_ref, status=status, state=state)
            effects.append(f"{kind} {cmd.scope_ref} moved from {source} to {goal}")
        else:
            effects.append(f"{kind} {cmd.scope_ref} is {target['status_state']}: recorded, not moved")
    return InterventionOut.model_validate(jsonish(row) | {"in_effect": start <= now and (
        cmd.effective_until is None or cmd.effective_until > now), "effects": effects})
