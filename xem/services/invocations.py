"""Invocations: a tool call becomes a row (idempotent by key), waits for an approval if its policy says so,
and is dispatched to an online agent serving the tool; read it, or cancel it.

Everything is checked before anything is written, and all of it is one transaction: a call refused for any
reason leaves no invocation, no approval, no dispatch (and releases its idempotency key).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

import jsonschema

from servers.kernel.errors import Conflict, Forbidden, IdempotencyMismatch, InvalidArgument, InvalidTransition, NotFound, Unavailable
from xem.domain.approvals import ApprovalPolicy, default_policy
from xem.domain.catalog import Catalog, ExecTool, build_catalog
from xem.domain.invocations import FINAL, request_hash
from xem.domain.learnings import params_key
from xem.domain.manifest import canonical_json
from xem.domain.protocol import ROUTER_SENDER, Dispatch, TraceContext, new_trace_context
from xem.domain.schemas import validate_arguments
from xem.domain.scope import Scope, path_arguments, scope_violation
from xem.domain.templates import needs_approval
from xem.domain.views import InvocationView, invocation_view
from xem.errors import AgentStateError
from xem.services._work import Work, read_only, single_statement, transactional
from xem.services.learnings import fork_point_of, leave_fork_point, redacted_arguments
from xem.services.subplans import guard
from xem.services.workspaces import gates, workspace_gate

__all__ = ["CallRequest", "Started", "cancel_invocation", "exec_catalog", "get_invocation", "policy_for", "start_invocation"]


@dataclass(frozen=True)
class CallRequest:
    workspace: str
    tool: str
    arguments: dict[str, Any]
    idempotency_key: str | None = None
    agent: str | None = None
    task_id: str | None = None
    caller: str | None = None
    trace_context: TraceContext | None = None
    branch_ref: str | None = None  # the caller's conversation branch/session, kept on a destructive call's fork point
    template: str | None = None  # "name" or "name@3": the chat template the call runs under
    subplan: uuid.UUID | None = None  # the sub-plan it takes one iteration of
    session_ref: str | None = None  # the caller's session (the once_per_session cadence)


@dataclass(frozen=True)
class Started:
    invocation: InvocationView
    replayed: bool  # an earlier call with the same idempotency key and request
    inline: bool  # its pending approval may be decided by the caller (policy allows inline approval)


async def served_catalog(w: Work) -> Catalog:
    """The catalog of the online agents, open workspaces or not; built again only when who is online or what they
    declare changed."""
    cache = w.services.catalogs
    catalog: Catalog | None = cache.get(tuple(await w.agents.serving_hashes()))
    if catalog is None:
        rows = await w.agents.serving()
        catalog = build_catalog([(r["name"], json.loads(r["manifest"])) for r in rows])
        if len(cache) >= 64:
            cache.clear()
        cache[tuple((r["name"], r["manifest_hash"]) for r in rows)] = catalog  # the key of what it was built from
    return catalog


async def catalog_of(w: Work) -> Catalog:
    """The tools online agents serve in open workspaces: a closed workspace's tools are neither listed nor run."""
    served = await served_catalog(w)
    if not served.tools:
        return served
    open_ = {name for name, gate in (await gates(w)).items() if gate.open}
    return Catalog({n: t for n, t in served.tools.items() if t.workspace in open_}, served.skipped)


@read_only
async def exec_catalog(w: Work) -> Catalog:
    """The (workspace, tool) pairs online agents serve now in open workspaces."""
    return await catalog_of(w)


async def _gate(w: Work, req: CallRequest) -> tuple[Scope, Any]:
    """The workspace's scope and record if it is open (no record: an empty scope, and None).

    Raises:
        Forbidden: the workspace is chat, or closed (a model missing or unavailable), or has no record while an agent
        declares it. (Neither record nor declaring agent: the caller answers not_found.)
    """
    gate, record = await workspace_gate(w, req.workspace)
    if gate.open and record is not None:
        return Scope.model_validate(json.loads(record["scope"])), record
    if record is None and not await w.agents.declaring(req.workspace, req.tool):
        return Scope(), None
    raise Forbidden(gate.reason)


async def policy_for(w: Work, workspace: str, risk: str) -> ApprovalPolicy:
    row = await w.approvals.policy(workspace, risk)
    if row is None:
        return default_policy(workspace, risk)
    return ApprovalPolicy(workspace=workspace, risk=risk, required=row["required"], sla_s=row["sla_s"],
                          escalation=tuple(row["escalation"]), inline=row["inline"])


def _check_arguments(spec: ExecTool, arguments: dict[str, Any]) -> None:
    try:
        validate_arguments(arguments, spec.input_schema)
    except jsonschema.ValidationError as exc:
        where = ".".join(str(p) for p in exc.absolute_path) or "arguments"
        raise InvalidArgument(f"{spec.name}: {where}: {exc.message}; see describe_exec_tool(workspace={spec.workspace!r}, "
                              f"tool={spec.tool!r}) for the schema") from None


async def _resolve(w: Work, req: CallRequest) -> tuple[ExecTool, str]:
    """The tool and the agent to dispatch to (least in flight, or the one named).

    Raises:
        NotFound, Unavailable, AgentStateError: unknown tool/agent, nobody online serving it, agent stopped.
    """
    name = f"{req.workspace}__{req.tool}"
    catalog = await served_catalog(w)  # the workspace gate was checked already (_gate)
    spec = catalog.find(req.workspace, req.tool)
    if req.agent is not None:
        row = await w.agents.get(req.agent)
        if row is None:
            raise NotFound(f"no agent named {req.agent}; call list_agents for the enrolled agents")
        if row["state"] in ("conflict_pill", "revoked"):
            raise AgentStateError(f"agent {req.agent} is {row['state']}: dispatch is stopped until an operator runs "
                                  f"`xeroctl agents recover {req.agent}`; call without agent to use another")
        if row["state"] != "online":
            raise Unavailable(f"agent {req.agent} is offline; call without agent to use another online agent, or retry "
                              "when it renews its lease")
        if spec is None or req.agent not in spec.agents:
            raise NotFound(f"agent {req.agent} serves no tool {name}; call list_exec_tools for what it serves")
        return spec, req.agent
    if spec is None:
        declared = await w.agents.declaring(req.workspace, req.tool)
        if declared:
            raise Unavailable(f"no online agent serves {name} (declared by {', '.join(f'{a} ({s})' for a, s in declared)}); "
                              "retry when one is online, see list_agents")
        raise NotFound(f"no tool {name}: no enrolled agent declares tool {req.tool!r} in workspace {req.workspace!r}; "
                       "call list_exec_tools for the tools offered")
    if len(spec.agents) == 1:
        return spec, spec.agents[0]
    counts = await w.invocations.in_flight_counts()
    return spec, min(spec.agents, key=lambda a: (counts.get(a, 0), a))


async def dispatch(w: Work, invocation_id: uuid.UUID, agent: str, spec: ExecTool, arguments: dict[str, Any],
                   trace: TraceContext, *, record: Any = ..., marked: bool = False) -> None:
    """Queue the dispatch frame for the router and mark the invocation dispatched (inside the caller's transaction);
    ``record``: the workspace's record, when the caller read it in this transaction already; ``marked``: the
    invocation was created dispatched to ``agent``."""
    if record is ...:
        record = await w.workspaces.get(spec.workspace)
    scope = json.loads(record["scope"]) if record is not None and record["scope"] != "{}" else None
    frame = Dispatch(sender=ROUTER_SENDER, invocation_id=invocation_id, workspace=spec.workspace, tool=spec.tool,
                     params=arguments, risk=spec.risk, trace_context=trace, scope=scope)
    await w.dispatches.create(invocation_id, agent, spec.workspace, spec.tool, arguments, spec.risk, frame.id,
                              trace.model_dump(), scope, notify=True)
    if not marked:
        await w.invocations.set_state(invocation_id, "dispatched", agent=agent)


async def _view(w: Work, invocation_id: uuid.UUID, output_limit: int, *, missing: str = "") -> InvocationView:
    found = await w.invocations.get_with_approval(invocation_id)
    if found is None:
        raise NotFound(f"no invocation {invocation_id}{missing}")
    view = invocation_view(*found, output_limit=output_limit)
    view.fork_point = await fork_point_of(w, invocation_id, view.risk)
    return view


@transactional
async def start_invocation(w: Work, req: CallRequest, *, retention_s: float, max_argument_bytes: int,
                           output_limit: int = 16_000) -> Started:
    """Create (or, for a known idempotency key, find) the invocation of ``req``; dispatch it unless it needs approval.

    Raises:
        Forbidden: the workspace is closed or chat, or an argument is outside its scope.
        InvalidArgument: arguments too large or not matching the schema (named field). IdempotencyMismatch: the key
        was used for another request. NotFound, Unavailable, AgentStateError: see ``_resolve``. Forbidden, Conflict:
        refused by its chat template or sub-plan (``xem.services.subplans.guard``).
    """
    size = len(canonical_json(req.arguments).encode())
    if size > max_argument_bytes:
        raise InvalidArgument(f"{req.workspace}__{req.tool}: arguments are {size} bytes of JSON, over the limit of "
                              f"{max_argument_bytes}; pass large content by reference (a path in the workspace)")
    scope, record = await _gate(w, req)  # before the idempotency key: a closed workspace replays nothing either
    invocation_id = uuid.uuid4()
    digest = request_hash(req.workspace, req.tool, req.arguments)
    if req.idempotency_key is not None:
        held = await w.invocations.claim_key(req.idempotency_key, invocation_id, digest, retention_s)
        if held["invocation_id"] != invocation_id:
            original = await w.invocations.get(held["invocation_id"])
            if held["request_hash"] != digest and original is not None:
                raise IdempotencyMismatch(
                    f"idempotency_key {req.idempotency_key!r} was used for invocation {held['invocation_id']} "
                    f"({original['workspace']}__{original['tool']} with other arguments); use a new key for a new request")
            view = await _view(w, held["invocation_id"], output_limit)
            policy = await policy_for(w, view.workspace, view.risk)
            return Started(view, replayed=True, inline=policy.inline)
    spec, agent = await _resolve(w, req)
    _check_arguments(spec, req.arguments)
    violation = scope_violation(scope, spec.workspace, spec.tool, req.arguments, path_arguments(spec.input_schema))
    if violation is not None:
        raise Forbidden(violation)
    guarded = await guard(w, spec.workspace, spec.tool, template=req.template, subplan=req.subplan)
    chosen = guarded.template
    ident = (chosen.name, chosen.scope, chosen.owner, chosen.version) if chosen is not None else None
    trace = req.trace_context.child() if req.trace_context is not None else new_trace_context()
    policy = await policy_for(w, spec.workspace, spec.risk)
    session_approved = (chosen is not None and chosen.cadence == "once_per_session" and req.session_ref is not None
                        and await w.invocations.session_approved((chosen.name, chosen.scope, chosen.owner), req.session_ref))
    redacted = redacted_arguments(req.arguments, spec.input_schema)
    kept = req.arguments if redacted is None else redacted  # what learnings and fork points keep of the arguments
    gated = needs_approval(chosen, spec.risk, policy_required=policy.required, session_approved=session_approved)
    await w.invocations.insert(invocation_id, spec.workspace, spec.tool, req.arguments, digest, spec.risk,
                               state="pending_approval" if gated else "dispatched", agent=None if gated else agent,
                               requested_agent=req.agent, idempotency_key=req.idempotency_key, task_id=req.task_id,
                               caller=req.caller, trace_context=trace.model_dump(), redacted=redacted, template=ident,
                               session_ref=req.session_ref, subplan_id=guarded.subplan_id,
                               params_key=params_key(kept))
    await leave_fork_point(w, invocation_id, spec.workspace, spec.tool, spec.risk,
                           kept, req.branch_ref, req.caller)
    if gated:
        await w.approvals.open(uuid.uuid4(), invocation_id, 0, None, policy.sla_s)
        await w.audit.event("approval_requested", agent=agent, invocation=str(invocation_id), tool=spec.name, risk=spec.risk)
    else:
        await dispatch(w, invocation_id, agent, spec, req.arguments, trace, record=record, marked=True)
    return Started(await _view(w, invocation_id, output_limit), replayed=False, inline=policy.inline)


@single_statement
async def get_invocation(w: Work, invocation_id: uuid.UUID, *, output_limit: int = 16_000) -> InvocationView:
    """Raises NotFound. (The invocation and its approval are one statement; a fork point, read after, never changes.)"""
    return await _view(w, invocation_id, output_limit, missing="; the id comes from an earlier call's answer")


@single_statement
async def progress_since(w: Work, invocation_id: uuid.UUID, after_seq: int) -> list[tuple[int, str, str]]:
    """(seq, stream, data) of the progress frames after ``after_seq``."""
    return [(r["seq"], r["stream"], r["data"]) for r in await w.dispatches.progress(invocation_id) if r["seq"] > after_seq]


@transactional
async def cancel_invocation(w: Work, invocation_id: uuid.UUID, *, by: str = "mcp") -> InvocationView:
    """Cancel an invocation: at once if it has not left the router; otherwise a cancel goes to the agent, which kills
    the tool's process group (a mutation already running then ends ambiguous).

    Raises:
        NotFound: no such invocation. InvalidTransition: it already ended.
    """
    row = await w.invocations.get(invocation_id, lock=True)
    if row is None:
        raise NotFound(f"no invocation {invocation_id}; the id comes from an earlier call's answer")
    state = row["state"]
    if state in FINAL or state == "ambiguous":
        raise InvalidTransition(f"invocation {invocation_id} already ended {state}; nothing to cancel"
                                + ("; resolve it with resolve_ambiguous (--toolsets management)" if state == "ambiguous" else ""))
    if state in ("created", "pending_approval"):
        pending = await w.approvals.latest_for(invocation_id)
        if pending is not None and pending["state"] == "pending":
            await w.approvals.decide(pending["id"], "rejected", by, "the invocation was cancelled", "cancel")
        await w.invocations.set_state(invocation_id, "cancelled", error="cancelled before it was dispatched")
    elif await w.dispatches.cancel_queued(invocation_id):
        await w.invocations.set_state(invocation_id, "cancelled", error="cancelled before it reached the agent")
    elif not row["cancel_requested"]:
        await w.invocations.mark_cancel_requested(invocation_id)
        await w.dispatches.notify_cancel(row["agent_name"])
        await w.audit.event("cancel_requested", agent=row["agent_name"], invocation=str(invocation_id), by=by)
    return await _view(w, invocation_id, 16_000)


def conflict_already(decided: Any) -> Conflict:
    return Conflict(f"approval {decided['id']} was already {decided['state']} by {decided['decided_by'] or 'the SLA'} "
                    f"at {decided['decided_at']:%Y-%m-%d %H:%M:%S} UTC; the first decision stands")
