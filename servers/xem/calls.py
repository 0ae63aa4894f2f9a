"""One agent-tool call from MCP, shared by ``invoke`` and the per-agent tools: start the invocation, ask the
caller inline when its policy and client allow, wait for the result (by NOTIFY, up to a bound) while relaying
progress, and shape the answer. A cancelled request cancels its invocation."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import anyio
from mcp.server.mcpserver import Context
from mcp_types import CallToolResult, TextContent
from mcp_types.version import MODERN_PROTOCOL_VERSIONS
from pydantic import BaseModel, Field

from servers.app import _sdk, runtime_of
from servers.app.registry import error_result
from servers.kernel.errors import InvalidArgument, SuiteError
from xem import services
from xem.bootstrap import Bridge
from xem.domain.invocations import FINAL
from xem.domain.protocol import TraceContext
from xem.domain.views import InvocationView

__all__ = ["CallAnswer", "answer_of", "bridge_of", "run_call", "subplan_id"]

_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$")


class CallAnswer(InvocationView):
    replayed: bool = False
    next_step: str | None = None


class Approve(BaseModel):
    approve: bool = Field(description="run it now")


def bridge_of(ctx: Context) -> Bridge:
    bridge = runtime_of(ctx).services
    assert isinstance(bridge, Bridge)
    return bridge


def _trace(ctx: Context) -> TraceContext | None:
    meta = ctx.request_context.meta or {}
    headers = ctx.headers or {}
    value = headers.get("traceparent") or (meta.get("traceparent") if isinstance(meta, dict) else None)
    if isinstance(value, str) and _TRACEPARENT.match(value.strip().lower()):
        state = headers.get("tracestate") or ""
        return TraceContext(traceparent=value.strip().lower(), tracestate=state[:512])
    return None


def _caller(ctx: Context) -> str | None:
    params = getattr(ctx.session, "client_params", None)
    info = getattr(params, "client_info", None)
    name = getattr(info, "name", None)
    return str(name)[:100] if name else None


def _branch_ref(ctx: Context) -> str | None:
    """A conversation branch/session reference declared in the request's ``_meta`` (``branch_ref``)."""
    meta = ctx.request_context.meta or {}
    value = meta.get("branch_ref") if isinstance(meta, dict) else getattr(meta, "branch_ref", None)
    return value[:200] if isinstance(value, str) and value.strip() else None


def _session(ctx: Context) -> str:
    """The caller's session, for the once_per_session approval cadence: ``_meta.session`` if the client sends one,
    else the MCP session id (streamable HTTP), else this connection (stdio, in-memory)."""
    meta = ctx.request_context.meta or {}
    given = meta.get("session") if isinstance(meta, dict) else None
    if isinstance(given, str) and given.strip():
        return "meta:" + given.strip()[:200]
    header = (ctx.headers or {}).get("mcp-session-id")
    if header:
        return "mcp:" + str(header)[:200]
    return f"conn:{id(_sdk.connection_of(ctx.session)):x}"


def subplan_id(value: object) -> uuid.UUID | None:
    """The sub-plan id of a call's ``subplan`` argument. Raises InvalidArgument."""
    if value is None:
        return None
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise InvalidArgument(f"subplan {str(value)[:64]!r} is not a sub-plan id "
                              "(the id request_subplan answered, --toolsets subplans)") from None


def _can_elicit(ctx: Context) -> bool:
    caps = ctx.client_capabilities
    return caps is not None and caps.elicitation is not None and ctx.protocol_version not in MODERN_PROTOCOL_VERSIONS


def answer_of(view: InvocationView, *, replayed: bool = False, waited_s: float | None = None) -> CallToolResult:
    """The MCP answer: structured for a result or a state still in progress, a ``[code]`` error for an end without one."""
    if view.state == "pending_approval" and view.approval is not None:
        return error_result(
            f"[approval_required] approval {view.approval.id} pending for {view.tool} ({view.risk}); an operator decides "
            f"with 'xeroctl approvals approve {view.approval.id}' (or reject, or MCP decide_approval with --toolsets "
            f"management); call again with the same idempotency_key, or get_invocation('{view.id}'), for the outcome "
            f"(invocation {view.id})")
    rollback = _rollback(view)
    if view.state == "ambiguous":
        return error_result(
            f"[ambiguous] invocation {view.id} of {view.tool} ({view.risk}) lost its agent mid-way; its effect is unknown "
            f"and it is never run again by itself. An operator resolves it with 'xeroctl invocations resolve {view.id} "
            f"--outcome succeeded|failed --note ...' (or MCP resolve_ambiguous with --toolsets management){rollback}")
    if view.state in ("rejected", "timeout", "failed") and view.error and view.error.startswith("[") and view.result is None:
        return error_result(f"{view.error} (invocation {view.id}){rollback if view.state != 'rejected' else ''}")
    next_step = None
    if view.state in ("failed", "timeout") and rollback:
        next_step = rollback.lstrip("; ")
    elif view.state not in FINAL:
        next_step = (f"still {view.state} after {waited_s:g}s; the work goes on: call get_invocation('{view.id}') "
                     "(or this tool again with the same idempotency_key) for the result")
    answer = CallAnswer(**view.model_dump(), replayed=replayed, next_step=next_step)
    data = answer.model_dump(mode="json")
    return CallToolResult(content=[TextContent(type="text", text=answer.model_dump_json())], structured_content=data,
                          is_error=False)


def _rollback(view: InvocationView) -> str:
    """The fork point to roll back to, said after a destructive call that failed or whose effect is unknown."""
    if view.fork_point is None or view.state not in ("failed", "timeout", "ambiguous"):
        return ""
    branch = f" (your branch_ref {view.fork_point.branch_ref!r})" if view.fork_point.branch_ref else ""
    return (f"; roll back to fork point {view.fork_point.id}{branch}, taken {view.fork_point.at:%Y-%m-%d %H:%M:%S} UTC "
            "before the call (`xeroctl invocations forks`)")


async def _elicit(ctx: Context, bridge: Bridge, view: InvocationView) -> InvocationView:
    assert view.approval is not None
    message = (f"Approve running {view.tool} ({view.risk}) on agent {view.agent or 'an online agent'}?\n"
               f"Invocation {view.id}; arguments: {json.dumps(view.arguments, sort_keys=True)[:2000]}")
    result = await ctx.elicit(message, Approve)
    if result.action == "cancel":
        return view  # dismissed: the request stays pending for an operator
    approved = result.action == "accept" and bool(getattr(result, "data", None) and result.data.approve)
    try:
        return await services.decide_approval(
            bridge, uuid.UUID(view.approval.id), "approved" if approved else "rejected",
            by=f"client:{_caller(ctx) or 'unknown'}", reason="answered inline (elicitation)", via="elicitation")
    except SuiteError:  # decided by an operator meanwhile: that decision stands
        return await services.get_invocation(bridge, uuid.UUID(view.id))


async def _wait(ctx: Context, bridge: Bridge, invocation_id: uuid.UUID, bound_s: float, *, known: InvocationView,
                generation: int | None) -> InvocationView:
    """The invocation once it ends, or as it is when ``bound_s`` passed; progress goes to the caller meanwhile.

    ``known``: the invocation as read when the hub was at LISTEN ``generation`` (None: it was not listening). It is
    not read again before the first wait unless a notice of another state came meanwhile."""
    token = (ctx.request_context.meta or {}).get("progress_token")
    seq, deadline = -1, anyio.current_time() + bound_s
    limit = bridge.settings.output_limit_chars
    hub = bridge.hub
    with hub.watch(str(invocation_id), running=token is not None) as watch:
        watch.arm()
        heard = hub.heard(str(invocation_id))
        view = known if (generation == hub.generation and token is None
                         and heard in (None, known.state, "running")) else None
        while True:
            if view is None:
                view = await services.get_invocation(bridge, invocation_id, output_limit=limit)
            if view.state in FINAL or view.state in ("ambiguous", "pending_approval"):
                return view
            if token is not None:
                for number, _stream, data in await services.progress_since(bridge, invocation_id, seq):
                    seq = number
                    await ctx.report_progress(number + 1, None, data[-1000:])
            left = deadline - anyio.current_time()
            if left <= 0:
                return view
            await watch.wait(left)
            watch.arm()
            view = None


async def run_call(ctx: Context, request: services.CallRequest) -> CallToolResult:
    bridge = bridge_of(ctx)
    request = services.CallRequest(**{**request.__dict__, "caller": _caller(ctx), "trace_context": _trace(ctx),
                                      "branch_ref": request.branch_ref or _branch_ref(ctx), "session_ref": _session(ctx)})
    settings = bridge.settings
    generation = bridge.hub.generation if bridge.hub.listening.is_set() else None
    started = await services.start_invocation(bridge, request, retention_s=settings.idempotency_retention_s,
                                              max_argument_bytes=settings.max_argument_bytes,
                                              output_limit=settings.output_limit_chars)
    view = started.invocation
    invocation_id = uuid.UUID(view.id)
    if view.state == "pending_approval" and not started.replayed and started.inline and _can_elicit(ctx):
        view = await _elicit(ctx, bridge, view)
    if view.state in FINAL or view.state in ("pending_approval", "ambiguous"):
        return answer_of(view, replayed=started.replayed)
    try:
        view = await _wait(ctx, bridge, invocation_id, settings.call_wait_s, known=view, generation=generation)
    except anyio.get_cancelled_exc_class():
        if not started.replayed:  # the client cancelled its request: the invocation it started is cancelled too
            with anyio.CancelScope(shield=True), anyio.move_on_after(10):
                try:
                    await services.cancel_invocation(bridge, invocation_id, by="client-cancel")
                except SuiteError:
                    pass  # it ended meanwhile
        raise
    return answer_of(view, replayed=started.replayed, waited_s=settings.call_wait_s)


def tool_arguments(arguments: dict[str, Any], reserved: frozenset[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the tool's own arguments, the bridge's reserved ones) of a per-agent tool call."""
    own = {k: v for k, v in arguments.items() if k not in reserved}
    return own, {k: v for k, v in arguments.items() if k in reserved}
