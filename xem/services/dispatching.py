"""Dispatching a tool call to an agent and recording what it sends back, each exactly once.

A dispatch keeps its frame id for every (re)send, so the agent recognises a resend; a result or
progress frame is stored under its frame id, so a resend from the agent's queue is acknowledged
again but never recorded twice.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import asyncpg
import jsonschema

from xem.domain.invocations import outcome_of
from xem.domain.learnings import LEARNED
from xem.domain.manifest import Manifest
from xem.domain.protocol import ROUTER_SENDER, Cancel, Dispatch, Progress, Result, TraceContext, new_trace_context
from xem.domain.schemas import validate_arguments
from xem.errors import AgentStateError, ParameterRefused
from xem.services._work import Work, XemServices, single_statement, transactional
from xem.services.leases import authorize
from xem.services.recovery import error_of, on_result, result_of

__all__ = ["cancels_due", "claim_dispatches", "create_dispatch", "mark_delivered", "record_progress", "record_result", "unsend"]


@transactional
async def create_dispatch(w: Work, agent: str, workspace: str, tool: str, params: dict[str, Any],
                          *, trace_context: TraceContext | None = None) -> Dispatch:
    """Queue a call of ``workspace/tool`` on ``agent``; the router sends it (now if the agent is connected).

    Raises:
        AgentStateError: unknown agent or tool (not_found), agent in conflict_pill or revoked (conflict).
        ParameterRefused: ``params`` do not match the tool's input schema.
    """
    row = await w.agents.get(agent)
    if row is None:
        raise AgentStateError(f"no agent named {agent}; see `xeroctl agents list`", code="not_found")
    if row["state"] in ("conflict_pill", "revoked"):
        raise AgentStateError(f"agent {agent} is {row['state']}: dispatch is stopped; see `xeroctl agents recover`")
    manifest = Manifest.model_validate(json.loads(row["manifest"]))
    spec = manifest.tool(workspace, tool)
    if spec is None:
        raise AgentStateError(f"agent {agent} declares no tool {tool} in workspace {workspace}", code="not_found")
    try:
        validate_arguments(params, spec.input_schema)
    except jsonschema.ValidationError as exc:
        raise ParameterRefused(f"parameters of {workspace}/{tool}: {exc.message}") from None
    record = await w.workspaces.get(workspace)
    scope = json.loads(record["scope"]) if record is not None and record["scope"] != "{}" else None
    frame = Dispatch(sender=ROUTER_SENDER, invocation_id=uuid.uuid4(), workspace=workspace, tool=tool, params=params,
                     risk=spec.risk, trace_context=trace_context or new_trace_context(), scope=scope)
    await w.dispatches.create(frame.invocation_id, agent, workspace, tool, params, spec.risk, frame.id,
                              frame.trace_context.model_dump(), scope)
    await w.dispatches.notify_new(agent)
    return frame


def _frame_of(row: asyncpg.Record) -> Dispatch:
    return Dispatch(id=row["frame_id"], sender=ROUTER_SENDER, invocation_id=row["id"], workspace=row["workspace"],
                    tool=row["tool"], params=json.loads(row["params"]), risk=row["risk"],
                    trace_context=TraceContext.model_validate(json.loads(row["trace_context"])),
                    scope=json.loads(row["scope"]) if row["scope"] is not None else None)


@single_statement
async def claim_dispatches(w: Work, agents: list[str], resend_after_s: float) -> list[tuple[str, Dispatch]]:
    """(agent, dispatch) to send now to ``agents``, already marked sent (none to an agent in conflict_pill or
    revoked); a dispatch that then cannot be sent goes back with ``unsend``."""
    return [(r["agent_name"], _frame_of(r)) for r in await w.dispatches.claim_due(agents, resend_after_s)]


@single_statement
async def unsend(w: Work, invocation_id: uuid.UUID) -> None:
    await w.dispatches.unsend(invocation_id)


@single_statement
async def mark_delivered(w: Work, curve_key: str, sender: str, ref: uuid.UUID) -> bool | None:
    """The agent acknowledged dispatch frame ``ref`` (its invocation runs now); None if the key may not speak
    (checked as ``leases.authorize`` does, in the same statement)."""
    authorized, invocation_id = await w.dispatches.deliver(curve_key, sender, ref)
    return invocation_id is not None if authorized else None


async def record_result(xem: XemServices, curve_key: str, frame: Result) -> str | None:
    """'recorded', 'duplicate' or 'unknown'; None if the key may not speak. The common result (an invocation in
    flight that succeeded, failed, timed out or was cancelled before it started) is one statement; anything else
    (an interrupted mutation, a late result to an ambiguous invocation, a resend) takes the general path."""
    state = outcome_of(frame.status, mutating=frame.mutating)
    if state != "ambiguous":
        authorized, settled = await _settle(xem, curve_key, frame, state)
        if not authorized:
            return None
        if settled:
            return "recorded"
    return await _record_result(xem, curve_key, frame)


@single_statement
async def _settle(w: Work, curve_key: str, frame: Result, state: str) -> tuple[bool, bool]:
    return await w.dispatches.settle(
        curve_key, frame.sender, frame.invocation_id, frame.id, frame.model_dump(mode="json"), state, result_of(frame),
        error_of(frame, state), LEARNED.get(state))


@transactional
async def _record_result(w: Work, curve_key: str, frame: Result) -> str | None:
    state = "ambiguous" if frame.status == "interrupted" and frame.mutating else "completed"
    key = await authorize(w, curve_key, frame.sender)
    if key is None:
        return None
    outcome: str = await w.dispatches.record_result(
        key.agent_name, frame.invocation_id, frame.id, frame.model_dump(mode="json"), state
    )
    if outcome == "recorded" and state == "ambiguous":
        await w.audit.event("ambiguous_mutation", agent=key.agent_name, invocation=str(frame.invocation_id))
    if outcome == "recorded":
        await on_result(w, key.agent_name, frame)
    return outcome


@transactional
async def record_progress(w: Work, curve_key: str, frame: Progress) -> str | None:
    key = await authorize(w, curve_key, frame.sender)
    if key is None:
        return None
    outcome: str = await w.dispatches.record_progress(key.agent_name, frame.id, frame.invocation_id, frame.seq,
                                                      frame.stream, frame.data)
    if outcome == "recorded":
        await w.invocations.notify_progress(frame.invocation_id)
    return outcome


@single_statement
async def cancels_due(w: Work, agents: list[str]) -> list[tuple[str, Cancel]]:
    """(agent, cancel frame) for every cancelled invocation of ``agents`` whose dispatch has left the router."""
    return [(r["agent_name"], Cancel(sender=ROUTER_SENDER, invocation_id=r["id"],
                                     trace_context=TraceContext.model_validate(json.loads(r["trace_context"])).child()))
            for r in await w.dispatches.cancels_due(agents)]
