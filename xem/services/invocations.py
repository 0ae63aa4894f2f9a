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
from xem.domain.learnings import FORKING_RISKS, params_key
from xem.domain.manifest import canonical_json
from xem.domain.protocol import ROUTER_SENDER, Dispatch, TraceContext, new_trace_context
from xem.domain.schemas import validate_arguments
from xem.domain.scope import Scope, path_arguments, scope_violation
from xem.domain.templates import needs_approval
from xem.domain.views import InvocationView, invocation_view
from xem.domain.workspaces import Gate, ModelInfo, gate_of
from xem.errors import AgentStateError
from xem.services._work import Work, read_only, single_statement, transactional
from xem.services.learnings import fork_point_of, leave_fork_point, redacted_arguments
from xem.services.subplans import guard
from xem.services.workspaces import gates

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


async def served_catalog(w: Work, serving: tuple[tuple[str, str], ...] | None = None) -> Catalog:
    """The catalog of the online agents, open workspaces or not; built again only when who is online or what they
    declare changed (``serving``: their (name, manifest hash) pairs, when the caller read them already)."""
    cache = w.services.catalogs
    catalog: Catalog | None = cache.get(serving if serving is not None else tuple(await w.agents.serving_hashes()))
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


@dataclass(frozen=True)
class _Context:
    """What starting a call reads before it writes, in one statement (``InvocationStore.context``)."""

    workspace: str
    kind: str | None  # None: the workspace has no record
    scope: str | None  # its scope as JSON text
    gate: Gate
    serving: tuple[tuple[str, str], ...]  # (agent, manifest hash) of the online agents, by name
    in_flight: dict[str, int]
    policies: dict[str, Any]  # risk -> the workspace's policy row

    @classmethod
    async def read(cls, w: Work, workspace: str) -> _Context:
        row = await w.invocations.context(workspace)
        bound = json.loads(row["bindings"])
        models = {m: ModelInfo(id=m, provider=provider, available=available, reported_by=by)
                  for _, _, m, provider, available, by in bound if m is not None}
        gate = gate_of(workspace, row["kind"], {role: model for role, model, *_ in bound} if row["kind"] else {}, models)
        return cls(workspace, row["kind"], row["scope"], gate, tuple((a, h) for a, h in json.loads(row["serving"])),
                   json.loads(row["in_flight"]), {p["risk"]: p for p in json.loads(row["policies"])})

    def policy(self, risk: str) -> ApprovalPolicy:
        return _policy(self.workspace, risk, self.policies.get(risk))


async def _gate(w: Work, req: CallRequest, ctx: _Context) -> Scope:
    """The workspace's scope if it is open (no record: an empty scope).

    Raises:
        Forbidden: the workspace is chat, or closed (a model missing or unavailable), or has no record while an agent
        declares it. (Neither record nor declaring agent: the caller answers not_found.)
    """
    if ctx.gate.open and ctx.kind is not None:
        return Scope.model_validate(json.loads(ctx.scope or "{}"))
    if ctx.kind is None and not await w.agents.declaring(req.workspace, req.tool):
        return Scope()
    raise Forbidden(ctx.gate.reason)


def _policy(workspace: str, risk: str, row: Any) -> ApprovalPolicy:
    if row is None:
        return default_policy(workspace, risk)
    return ApprovalPolicy(workspace=workspace, risk=risk, required=row["required"], sla_s=row["sla_s"],
                          escalation=tuple(row["escalation"]), inline=row["inline"])


async def policy_for(w: Work, workspace: str, risk: str) -> ApprovalPolicy:
    return _policy(workspace, risk, await w.approvals.policy(workspace, risk))


def _check_arguments(spec: ExecTool, arguments: dict[str, Any]) -> None:
    try:
        validate_arguments(arguments, spec.input_schema)
    except jsonschema.ValidationError as exc:
        where = ".".join(str(p) for p in exc.absolute_path) or "arguments"
        raise InvalidArgument(f"{spec.name}: {where}: {exc.message}; see describe_exec_tool(workspace={spec.workspace!r}, "
                              f"tool={spec.tool!r}) for the schema") from None


async def _resolve(w: Work, req: CallRequest, ctx: _Context) -> tuple[ExecTool, str]:
    """The tool and the agent to dispatch to (least in flight, or the one named).

    Raises:
        NotFound, Unavailable, AgentStateError: unknown tool/agent, nobody online serving it, agent stopped.
    """
    name = f"{req.workspace}__{req.tool}"
    catalog = await served_catalog(w, ctx.serving)  # the workspace gate was checked already (_gate)
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
    return spec, min(spec.agents, key=lambda a: (ctx.in_flight.get(a, 0), a))


def _frame(invocation_id: uuid.UUID, spec: ExecTool, arguments: dict[str, Any], trace: TraceContext,
           scope: dict[str, Any] | None) -> Dispatch:
    return Dispatch(sender=ROUTER_SENDER, invocation_id=invocation_id, workspace=spec.workspace, tool=spec.tool,
                    params=arguments, risk=spec.risk, trace_context=trace, scope=scope)


async def dispatch(w: Work, invocation_id: uuid.UUID, agent: str, spec: ExecTool, arguments: dict[str, Any],
                   trace: TraceContext, *, record: Any) -> None:
    """Queue the dispatch frame of an approved invocation for the router and mark it dispatched (inside the caller's
    transaction); ``record``: the workspace's record."""
    scope = json.loads(record["scope"]) if record is not None and record["scope"] != "{}" else None
    frame = _frame(invocation_id, spec, arguments, trace, scope)
    await w.dispatches.create(invocation_id, agent, spec.workspace, spec.tool, arguments, spec.risk, frame.id,
                              trace.model_dump(), scope, notify=True)
    await w.invocations.set_state(invocation_id, "dispatched", agent=agent)


async def _view(w: Work, invocation_id: uuid.UUID, output_limit: int, *, missing: str = "") -> InvocationView:
    found = await w.invocations.get_with_approval(invocation_id)
    if found is None:
        raise NotFound(f"no invocation {invocation_id}{missing}")
    view = invocation_view(*found, output_limit=output_limit)
    view.fork_point = await fork_point_of(w, invocation_id, view.risk)
    return view


@single_statement
async def start_invocation(w: Work, req: CallRequest, *, retention_s: float, max_argument_bytes: int,
                           output_limit: int = 16_000) -> Started:
    """Create (or, for a known idempotency key, find) the invocation of ``req``; dispatch it unless it needs approval.

    What it checks against is read in one statement; the common call (no idempotency key, no sub-plan, no approval,
    no fork point) is then written in one more: the invocation and its dispatch, each with its notice. Any other call
    writes in one transaction (an idempotency key is bound in it, so a concurrent first use waits for it).

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
    ctx = await _Context.read(w, req.workspace)
    scope = await _gate(w, req, ctx)  # before the idempotency key: a closed workspace replays nothing either
    digest = request_hash(req.workspace, req.tool, req.arguments)
    if req.idempotency_key is None and req.subplan is None:
        return await _create(w, req, ctx, scope, uuid.uuid4(), digest, output_limit)
    async with w.conn.transaction():
        invocation_id = uuid.uuid4()
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
        return await _create(w, req, ctx, scope, invocation_id, digest, output_limit)


async def _create(w: Work, req: CallRequest, ctx: _Context, scope: Scope, invocation_id: uuid.UUID, digest: str,
                  output_limit: int) -> Started:
    """Check ``req`` against its tool and write its invocation: one statement if that is all it writes, else in a
    transaction (the caller's, or one of its own)."""
    spec, agent = await _resolve(w, req, ctx)
    _check_arguments(spec, req.arguments)
    violation = scope_violation(scope, spec.workspace, spec.tool, req.arguments, path_arguments(spec.input_schema))
    if violation is not None:
        raise Forbidden(violation)
    guarded = await guard(w, spec.workspace, spec.tool, template=req.template, subplan=req.subplan)
    chosen = guarded.template
    ident = (chosen.name, chosen.scope, chosen.owner, chosen.version) if chosen is not None else None
    trace = req.trace_context.child() if req.trace_context is not None else new_trace_context()
    policy = ctx.policy(spec.risk)
    session_approved = (chosen is not None and chosen.cadence == "once_per_session" and req.session_ref is not None
                        and await w.invocations.session_approved((chosen.name, chosen.scope, chosen.owner), req.session_ref))
    redacted = redacted_arguments(req.arguments, spec.input_schema)
    kept = req.arguments if redacted is None else redacted  # what learnings and fork points keep of the arguments
    gated = needs_approval(chosen, spec.risk, policy_required=policy.required, session_approved=session_approved)
    queued = None
    if not gated:
        dispatch_scope = json.loads(ctx.scope) if ctx.scope not in (None, "{}") else None
        queued = (_frame(invocation_id, spec, req.arguments, trace, dispatch_scope).id, dispatch_scope)

    async def write() -> Started:
        row = await w.invocations.insert(
            invocation_id, spec.workspace, spec.tool, req.arguments, digest, spec.risk,
            state="pending_approval" if gated else "dispatched", agent=None if gated else agent,
            requested_agent=req.agent, idempotency_key=req.idempotency_key, task_id=req.task_id, caller=req.caller,
            trace_context=trace.model_dump(), redacted=redacted, template=ident, session_ref=req.session_ref,
            subplan_id=guarded.subplan_id, params_key=params_key(kept), dispatch=queued)
        await leave_fork_point(w, invocation_id, spec.workspace, spec.tool, spec.risk, kept, req.branch_ref, req.caller)
        if gated:
            await w.approvals.open(uuid.uuid4(), invocation_id, 0, None, policy.sla_s)
            await w.audit.event("approval_requested", agent=agent, invocation=str(invocation_id), tool=spec.name, risk=spec.risk)
            return Started(await _view(w, invocation_id, output_limit), replayed=False, inline=policy.inline)
        view = invocation_view(row, None, output_limit=output_limit)
        view.fork_point = await fork_point_of(w, invocation_id, view.risk)
        return Started(view, replayed=False, inline=policy.inline)

    if queued is None or spec.risk in FORKING_RISKS:  # more than one write
        if not w.conn.is_in_transaction():
            async with w.conn.transaction():
                return await write()
    return await write()


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
