"""Session use cases (§4.10, lifecycle §5.5.4, recovery §5.7): open one for a runtime on a surface, move it (a crash
puts its runtime in recovery; resuming brings both back), keep its transcript by reference (§14.3), read it with
the roll-up of its activities. Claims belong to the agent, not the session: a crash and recovery keep them."""

from __future__ import annotations

from typing import Any

import asyncpg

from odm.domain.execution import SessionMove, SessionOpen
from odm.domain.execution_views import InterventionOut, SessionOut, SpentOut
from odm.domain.lifecycles import LIFECYCLES
from odm.errors import Conflict, InvalidArgument, NotFound
from odm.services import interventions
from odm.services._work import Work, read_only, transactional
from odm.services.runtimes import RUNTIME, need_runtime

__all__ = ["check_activity_refs", "get_session", "move_session", "open_session"]

SESSION = LIFECYCLES["session"]
_OPEN = ("create", "ready", "execute", "discussion", "recover")


async def _need(w: Work, session_id: str, *, lock: bool = False, field: str = "session_id") -> asyncpg.Record:
    row = await w.sessions.get(session_id, lock=lock)
    if row is None:
        raise NotFound(f"{field}: no session {session_id}; open one with open_session, --toolsets execution (a "
                       "runtime's sessions are in odm://runtimes/{id})")
    return row


@transactional
async def open_session(w: Work, cmd: SessionOpen) -> SessionOut:
    """Open an active session of a runtime on a surface; the runtime starts working (ready.ready -> execute.active).

    Raises: NotFound (runtime, surface), Conflict (runtime not live), InvalidArgument (RC attach or resume the surface
    does not support).
    """
    if cmd.idempotency_key is not None:
        existing = await w.idempotency.begin("open_session", cmd.idempotency_key, cmd.fingerprint())
        if existing:
            return await _out(w, existing, note="already opened under this idempotency_key")
    runtime = await need_runtime(w, cmd.runtime_id, lock=True)
    if runtime["status"] not in ("ready", "execute", "recover") or runtime["status_state"] == "recover.failed":
        raise Conflict(f"runtime_id: runtime {runtime['id']} is {runtime['status_state']}; sessions open on a ready or "
                       "working runtime")
    surface = await w.surfaces.get(cmd.execution_surface_id)
    if surface is None:
        raise NotFound(f"execution_surface_id: no execution surface {cmd.execution_surface_id}; register it with "
                       "register_surface (--toolsets execution)")
    for flag, supports in (("rc_attachable", "supports_rc"), ("resumable", "supports_resume")):
        if getattr(cmd, flag) and not surface[supports]:
            raise InvalidArgument(f"{flag}: surface {surface['id']} ({surface['type']}) has {supports}=false")
    values = cmd.model_dump(include={"external_session_ref", "external_thread_ref", "opened_by", "context_snapshot_ref"})
    status, state = "execute", "active"  # Start -> Active (§5.5.4)
    assert f"{status}.{state}" in SESSION.edges[SESSION.initial]
    row = await w.sessions.insert(
        agent_runtime_id=runtime["id"], execution_surface_id=surface["id"], status=status, state=state,
        resumable=surface["supports_resume"] if cmd.resumable is None else cmd.resumable,
        rc_attachable=surface["supports_rc"] if cmd.rc_attachable is None else cmd.rc_attachable,
        last_activity_at=await w.now(), **values)
    effects = [f"runtime {runtime['id']} current session {row['id']} on {surface['id']}"]
    update: dict[str, Any] = {"current_session_id": row["id"], "execution_surface_id": surface["id"]}
    if runtime["status_state"] == "ready.ready":
        RUNTIME.check("ready.ready", "execute.active", subject=f"runtime {runtime['id']}")
        update |= {"status": "execute", "state": "active", "health_state": "healthy"}
        effects.append(f"runtime {runtime['id']} moved from ready.ready to execute.active")
    await w.runtimes.update(runtime["id"], **update)
    if cmd.idempotency_key is not None:
        await w.idempotency.bind("open_session", cmd.idempotency_key, row["id"])
    return await _out(w, row["id"], effects=effects, note=f"opened {row['id']}; pass session_id to record_activity")


async def _runtime_follows(w: Work, session: asyncpg.Record, target: str, effects: list[str]) -> None:
    """A crash puts a healthy runtime in recovery (health recovering, §5.7); the session working again heals it."""
    runtime = await need_runtime(w, session["agent_runtime_id"], lock=True)
    if runtime["current_session_id"] != session["id"]:
        return
    if target == "recover.crashed" and runtime["health_state"] in ("healthy", "degraded"):
        await w.runtimes.update(runtime["id"], health_state="recovering")
        effects.append(f"runtime {runtime['id']} health recovering (session {session['id']} crashed; its claims are kept)")
    elif target == "execute.active" and session["status"] == "recover" and runtime["health_state"] == "recovering" \
            and runtime["status"] != "recover":
        await w.runtimes.update(runtime["id"], health_state="healthy")
        effects.append(f"runtime {runtime['id']} health healthy (session {session['id']} resumed)")
    elif target == "complete.closed":
        await w.runtimes.update(runtime["id"], current_session_id=None)
        effects.append(f"runtime {runtime['id']} has no current session")


@transactional
async def move_session(w: Work, cmd: SessionMove) -> SessionOut:
    """Move a session along §5.5.4; crash -> recovering needs a resumable session (else close it and open another:
    switch session, §5.7). A transcript or checkpoint reference may come with any move.

    Raises: NotFound, InvalidTransition, InvalidArgument (recovering a session that cannot resume).
    """
    row = await _need(w, cmd.session_id, lock=True)
    SESSION.check(row["status_state"], cmd.to, subject=f"session {row['id']}")
    if cmd.to == "recover.recovering" and not row["resumable"]:
        raise InvalidArgument(f"to: session {row['id']} is not resumable; close it (complete.closed) and open a new "
                              "session for the runtime (switch session, §5.7)")
    status, state = cmd.to.split(".")
    now = await w.now()
    values: dict[str, Any] = {"status": status, "state": state, "last_activity_at": now}
    if cmd.to == "recover.crashed":
        values |= {"crash_count": row["crash_count"] + 1, "last_error": cmd.reason}
    if status == "complete":
        values["closed_at"] = now
    if cmd.transcript is not None:
        values |= {"transcript_ref": cmd.transcript.uri, "transcript_sha256": cmd.transcript.sha256,
                   "transcript_bytes": cmd.transcript.bytes}
    if cmd.checkpoint_ref is not None:
        values |= {"checkpoint_ref": cmd.checkpoint_ref, "last_checkpoint_at": now}
    effects = [f"session {row['id']} moved from {row['status_state']} to {cmd.to}"]
    await _runtime_follows(w, row, cmd.to, effects)
    await w.sessions.update(row["id"], **values)
    return await _out(w, row["id"], effects=effects)


async def _out(w: Work, session_id: str, *, effects: list[str] | None = None, note: str | None = None) -> SessionOut:
    row = await _need(w, session_id)
    spent = SpentOut.model_validate(dict(await w.sessions.spent(session_id)))
    active = [InterventionOut.model_validate(r) for r in await interventions.in_effect(w, "session", session_id,
                                                                                          await w.now())]
    return SessionOut.model_validate(dict(row) | {"spent": spent, "interventions": active, "effects": effects or [],
                                                  "note": note})


@read_only
async def get_session(w: Work, session_id: str) -> SessionOut:
    """A session with the roll-up of its activities and the interventions in effect. Raises: NotFound."""
    return await _out(w, session_id)


async def check_activity_refs(w: Work, refs: list[tuple[str, str, str | None, str | None]]) -> None:
    """Each (where, runtime, session, surface) an activity names: the session exists, is the runtime's and open;
    the surface exists.

    Raises: NotFound, InvalidArgument (naming the field, e.g. ``items[2].session_id``).
    """
    for where, runtime_id, session_id, surface_id in refs:
        if surface_id is not None and await w.surfaces.get(surface_id) is None:
            raise NotFound(f"{where}execution_surface_id: no execution surface {surface_id}")
        if session_id is None:
            continue
        session = await _need(w, session_id, field=f"{where}session_id")
        if session["agent_runtime_id"] != runtime_id:
            raise InvalidArgument(f"{where}session_id: session {session_id} belongs to runtime "
                                  f"{session['agent_runtime_id']}, not {runtime_id}")
        if session["status"] not in _OPEN:
            raise InvalidArgument(f"{where}session_id: session {session_id} is {session['status_state']}; record on an "
                                  "open session")
