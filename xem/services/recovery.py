"""What happens to invocations when the transport reports: delivered, a result, a lost agent, a lost dispatch;
and the operator's resolution of an ambiguous mutation.

Helpers named ``on_*`` run inside the router's use cases (``dispatching``, ``leases``), in their transaction.
A mutation whose outcome cannot be known becomes ``ambiguous``: never re-dispatched, a Bus alert (and so a
todo) is raised, and either a late result from the agent's queue or an operator settles it.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any, Literal

from servers.kernel.errors import Conflict, InvalidTransition, NotFound
from xem.domain.catalog import build_catalog
from xem.domain.invocations import can_move, outcome_of
from xem.domain.protocol import Result
from xem.domain.views import InvocationView, invocation_view
from xem.services._work import Work, read_only, transactional
from xem.services.learnings import learn

__all__ = ["ambiguous_key", "error_of", "list_invocations", "on_lost_agent", "on_lost_dispatch", "on_result",
           "resolve_ambiguous", "result_of"]

_RESULT_FIELDS = ("status", "exit_code", "stdout", "stderr", "truncated", "duration_ms", "error")


def ambiguous_key(invocation_id: uuid.UUID | str) -> str:
    return f"xem:ambiguous:{invocation_id}"


async def _make_ambiguous(w: Work, row: Any, why: str) -> None:
    invocation_id = row["id"]
    await w.invocations.set_state(invocation_id, "ambiguous", error=f"[ambiguous] {why}")
    await w.dispatches.set_state(invocation_id, "ambiguous")
    name = f"{row['workspace']}__{row['tool']}"
    await w.bus_alerts.raise_alert(
        ambiguous_key(invocation_id), "critical", f"XEM ambiguous mutation: {name} ({row['risk']}) {invocation_id}",
        f"{why}. Its outcome is unknown and it is never run again by itself. Check the target, then run "
        f"`xeroctl invocations resolve {invocation_id} --outcome succeeded|failed --note ...`.",
    )
    await w.audit.event("invocation_ambiguous", agent=row["agent_name"], invocation=str(invocation_id), why=why)


def result_of(frame: Result) -> dict[str, Any]:
    """What an invocation keeps of its agent's result frame."""
    return {k: getattr(frame, k) for k in _RESULT_FIELDS}


def error_of(frame: Result, state: str) -> str | None:
    """The error an invocation settled to ``state`` by ``frame`` keeps: none when it succeeded."""
    return None if state == "succeeded" else (frame.error or frame.status)


async def on_result(w: Work, agent: str, frame: Result) -> None:
    """Settle the invocation of a newly recorded result (a dispatch without an invocation is left alone)."""
    row = await w.invocations.get(frame.invocation_id, lock=True)
    if row is None:
        return
    result = result_of(frame)
    state = outcome_of(frame.status, mutating=frame.mutating)
    if row["state"] == "ambiguous":
        if state in ("succeeded", "failed", "timeout", "cancelled"):
            settled = "succeeded" if state == "succeeded" else "failed"
            await w.invocations.settle_late(row["id"], settled, result)
            await learn(w, agent, row, settled)
            await w.bus_alerts.resolve(ambiguous_key(row["id"]), agent, f"settled by the agent's late result ({frame.status})")
            await w.audit.event("ambiguous_settled", agent=agent, invocation=str(row["id"]), status=frame.status,
                                operator_resolution=json.loads(row["resolution"]) if row["resolution"] else None)
        return
    if not can_move(row["state"], state):
        await w.audit.event("result_after_end", agent=agent, invocation=str(row["id"]), state=row["state"], status=frame.status)
        return
    if state == "ambiguous":
        await w.invocations.set_state(row["id"], "running", result=result)
        await _make_ambiguous(w, row, f"agent {agent} stopped while the tool ran ({frame.status})")
        return
    await w.invocations.set_state(row["id"], state, result=result, error=error_of(frame, state))
    await learn(w, agent, row, state)


async def on_lost_dispatch(w: Work, agent: str, invocation_id: uuid.UUID, risk: str) -> None:
    """A delivered dispatch the agent no longer reports (lost on its side): a mutation is ambiguous."""
    row = await w.invocations.get(invocation_id, lock=True)
    if row is not None and risk != "read" and row["state"] in ("dispatched", "running"):
        await _make_ambiguous(w, row, f"agent {agent} lost the dispatch without a result (it restarted)")


async def on_lost_agent(w: Work, agent: str) -> None:
    """``agent`` went offline: a mutation that left the router is ambiguous; reads and never-sent dispatches are
    re-dispatched once to another online agent serving the tool, or fail with [unavailable]."""
    rows = await w.invocations.in_flight_on(agent)
    if not rows:
        return
    catalog = build_catalog([(r["name"], json.loads(r["manifest"])) for r in await w.agents.serving() if r["name"] != agent])
    counts = await w.invocations.in_flight_counts()
    for row in rows:
        left = row["dispatch_state"] in ("sent", "delivered")
        if left and row["risk"] != "read":
            await _make_ambiguous(w, row, f"agent {agent} went offline while the invocation was in flight")
            continue
        if row["cancel_requested"]:
            await w.dispatches.set_state(row["id"], "cancelled")
            await w.invocations.set_state(row["id"], "cancelled", error="cancelled")
            continue
        spec = catalog.find(row["workspace"], row["tool"])
        if spec is not None and row["redispatches"] == 0 and row["requested_agent"] is None:
            other = min(spec.agents, key=lambda a: (counts.get(a, 0), a))
            await w.dispatches.reroute(row["id"], other, uuid.uuid4())
            await w.invocations.count_redispatch(row["id"])
            await w.invocations.set_state(row["id"], "dispatched", agent=other)
            await w.dispatches.notify_new(other)
            await w.audit.event("invocation_redispatched", agent=other, invocation=str(row["id"]), lost=agent)
            continue
        await w.dispatches.set_state(row["id"], "cancelled")
        await w.invocations.set_state(row["id"], "failed", error=(
            f"[unavailable] agent {agent} went offline before {row['workspace']}__{row['tool']} finished and no other "
            "online agent could take it; call again (with a new idempotency_key) when an agent serves it"))


@transactional
async def resolve_ambiguous(w: Work, invocation_id: uuid.UUID, outcome: Literal["succeeded", "failed"], note: str,
                            by: str) -> InvocationView:
    """An operator settles an ambiguous mutation (a later result from the agent is still recorded beside it).

    Raises:
        NotFound: no such invocation. Conflict: already resolved. InvalidTransition: it is not ambiguous.
    """
    row = await w.invocations.get(invocation_id, lock=True)
    if row is None:
        raise NotFound(f"no invocation {invocation_id}; see `xeroctl invocations list --state ambiguous`")
    if row["resolution"] is not None:
        resolution = json.loads(row["resolution"])
        raise Conflict(f"invocation {invocation_id} was already resolved {resolution['outcome']} by {resolution['by']}")
    if row["state"] != "ambiguous":
        raise InvalidTransition(f"invocation {invocation_id} is {row['state']}, not ambiguous: only an ambiguous "
                                "invocation is resolved by an operator")
    resolution = {"outcome": outcome, "note": note, "by": by, "at": datetime.now(UTC).isoformat()}
    await w.invocations.resolve(invocation_id, outcome, resolution)
    await w.bus_alerts.resolve(ambiguous_key(invocation_id), by, f"resolved {outcome}: {note}")
    await w.audit.event("ambiguous_resolved", agent=row["agent_name"], invocation=str(invocation_id), outcome=outcome,
                        by=by, note=note)
    fresh = await w.invocations.get(invocation_id)
    return invocation_view(fresh)


@read_only
async def list_invocations(w: Work, *, state: str | None = None, limit: int = 50,
                           after: uuid.UUID | None = None) -> list[Any]:
    rows: list[Any] = await w.invocations.page(state=state, limit=limit, after=after)
    return rows
