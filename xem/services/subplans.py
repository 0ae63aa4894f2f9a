"""Sub-plans (request_subplan): a handle with a restricted tool scope and an iteration cap drawn from a chat
template; and the check every invocation carrying a template or a sub-plan goes through before it is written
(``guard``: tool set, scope, one iteration taken atomically, and the approval cadence's inputs)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from servers.kernel.errors import Conflict, Forbidden, IdempotencyMismatch, InvalidArgument, NotFound
from xem.domain.templates import ChatTemplate, parse_ref, tool_allowed
from xem.services._work import Work, read_only, transactional
from xem.services.templates import exact, resolve_in

__all__ = ["Guarded", "SubplanView", "close_subplan", "expire_subplans", "get_subplan", "guard", "request_subplan"]

UNTEMPLATED_MAX = 100  # the cap of a sub-plan opened without a template
MAX_TTL_S = 86_400


@dataclass(frozen=True)
class SubplanView:
    id: str
    workspace: str
    template: str | None  # name@version (scope owner)
    tool_scope: list[str]
    max_iterations: int
    used: int
    expires_at: datetime
    closed_at: datetime | None
    close_reason: str | None
    executions: int


@dataclass(frozen=True)
class Guarded:
    """What an allowed call runs under: the template (or None), the sub-plan it took an iteration of."""

    template: ChatTemplate | None
    subplan_id: uuid.UUID | None


async def _view(w: Work, subplan_id: uuid.UUID) -> SubplanView:
    row = await w.subplans.get(subplan_id)
    if row is None:
        raise NotFound(f"no sub-plan {subplan_id}; open one with request_subplan (--toolsets subplans)")
    label = None
    if row["template_name"]:
        where = "platform" if row["template_scope"] == "platform" else f"{row['template_scope']} {row['template_owner']}"
        label = f"{row['template_name']}@{row['template_version']} ({where})"
    return SubplanView(str(row["id"]), row["workspace"], label, list(row["tool_scope"]), row["max_iterations"], row["used"],
                       row["expires_at"], row["closed_at"], row["close_reason"], await w.subplans.executions(subplan_id))


@transactional
async def request_subplan(w: Work, workspace: str, *, template: str | None, tools: list[str] | None,
                          max_iterations: int | None, ttl_s: int = 3600, idempotency_key: str | None = None,
                          by: str | None = None) -> SubplanView:
    """Open a sub-plan of ``workspace``: the scope and cap are the template's sub_agentic_* (or its allowed tools and
    the default cap), or narrower ones given here.

    Raises:
        InvalidArgument: no template and no explicit scope and cap; a bad reference. NotFound: no such template.
        Forbidden: a tool or a cap beyond the template's limits. IdempotencyMismatch: the key opened another.
    """
    if not 1 <= ttl_s <= MAX_TTL_S:
        raise InvalidArgument(f"ttl_s {ttl_s}: a sub-plan lives 1 to {MAX_TTL_S} s")
    chosen: ChatTemplate | None = None
    if template is not None:
        chosen = await resolve_in(w, parse_ref(template), workspace)
        limit_scope, limit_max = chosen.subplan_scope, chosen.subplan_max
        outside = [t for t in tools or () if not tool_allowed(limit_scope, t)]
        if outside:
            raise Forbidden(f"template {chosen.label} lets a sub-plan call only {', '.join(limit_scope)}; "
                            f"{', '.join(outside)} is outside it: ask for tools within that scope")
        if max_iterations is not None and max_iterations > limit_max:
            raise Forbidden(f"template {chosen.label} caps a sub-plan at {limit_max} iterations; ask for at most {limit_max}")
        scope, cap = list(tools or limit_scope), max_iterations or limit_max
    else:
        if not tools or max_iterations is None:
            raise InvalidArgument("a sub-plan without a template needs tools and max_iterations; pass template= to take "
                                  "them from a chat template")
        if max_iterations > UNTEMPLATED_MAX:
            raise Forbidden(f"a sub-plan without a template is capped at {UNTEMPLATED_MAX} iterations; ask for fewer")
        scope, cap = list(tools), max_iterations
    if idempotency_key is not None:
        held = await w.subplans.by_key(idempotency_key)
        if held is not None:
            view = await _view(w, held["id"])
            if (view.workspace, view.tool_scope, view.max_iterations) != (workspace, scope, cap):
                raise IdempotencyMismatch(f"idempotency_key {idempotency_key!r} opened sub-plan {view.id} with another "
                                          "scope or cap; use a new key for a new sub-plan")
            return view
    subplan_id = uuid.uuid4()
    ident = (chosen.name, chosen.scope, chosen.owner, chosen.version) if chosen is not None else None
    await w.subplans.insert(subplan_id, workspace, ident, scope, cap, ttl_s, key=idempotency_key, by=by)
    return await _view(w, subplan_id)


@read_only
async def get_subplan(w: Work, subplan_id: uuid.UUID) -> SubplanView:
    """Raises NotFound."""
    return await _view(w, subplan_id)


@transactional
async def close_subplan(w: Work, subplan_id: uuid.UUID, *, note: str | None = None) -> SubplanView:
    """Close an open sub-plan (its later calls are refused); closing an expired one records the expiry.

    Raises:
        NotFound. Conflict: it was already closed.
    """
    row = await w.subplans.get(subplan_id, lock=True)
    if row is None:
        raise NotFound(f"no sub-plan {subplan_id}; the id comes from request_subplan's answer (--toolsets subplans)")
    if row["closed_at"] is not None:
        raise Conflict(f"sub-plan {subplan_id} already ended ({row['close_reason']} at {row['closed_at']:%Y-%m-%d %H:%M:%S} "
                       "UTC); open a new one with request_subplan (--toolsets subplans)")
    await w.subplans.close(subplan_id, "expired" if row["expired"] else "closed", note)
    return await _view(w, subplan_id)


@transactional
async def expire_subplans(w: Work) -> int:
    """Record the expiry of every open sub-plan past its TTL (the router's sweep)."""
    return await w.subplans.expire_due()


async def guard(w: Work, workspace: str, tool: str, *, template: str | None, subplan: uuid.UUID | None) -> Guarded:
    """Check a call against its template and sub-plan before anything is written; takes the sub-plan's iteration
    (inside the caller's transaction: a later refusal gives it back).

    Raises:
        Forbidden: a tool outside the template's set or the sub-plan's scope, another workspace's sub-plan.
        Conflict: the sub-plan used its cap, was closed or expired. NotFound, InvalidArgument: bad references.
    """
    chosen = await resolve_in(w, parse_ref(template), workspace) if template is not None else None
    cap = 0
    if subplan is not None:
        row = await w.subplans.get(subplan)
        if row is None:
            raise NotFound(f"no sub-plan {subplan}; open one with request_subplan (--toolsets subplans)")
        if row["workspace"] != workspace:
            raise Forbidden(f"sub-plan {subplan} belongs to workspace {row['workspace']}, not {workspace}; open one for "
                            f"{workspace} with request_subplan (--toolsets subplans)")
        if row["template_name"]:
            mine = await exact(w, row["template_name"], row["template_scope"], row["template_owner"], row["template_version"])
            if chosen is not None and chosen.name != mine.name:
                raise InvalidArgument(f"sub-plan {subplan} runs under template {mine.label}, not {chosen.name}; drop "
                                      "template or pass that one")
            chosen = mine
        cap = row["max_iterations"]
        if not tool_allowed(row["tool_scope"], tool):
            raise Forbidden(f"sub-plan {subplan} may call only {', '.join(row['tool_scope'])}; {tool} is outside its scope "
                            "and was not run: call a tool in scope, or leave the sub-plan (no subplan argument)")
        if row["closed_at"] is not None or row["expired"]:
            how = row["close_reason"] or "expired"
            raise Conflict(f"sub-plan {subplan} is {how}; nothing was run: open a new one with request_subplan (--toolsets subplans)")
    if chosen is not None and not tool_allowed(chosen.allowed_tools, tool):
        raise Forbidden(f"template {chosen.label} does not allow {tool}; it allows only {', '.join(chosen.allowed_tools)}. "
                        "Nothing was run: call an allowed tool, or work without the template")
    if subplan is not None and await w.subplans.take(subplan, workspace) is None:
        raise Conflict(f"sub-plan {subplan} used all {cap} of its {cap} iterations (its cap); {tool} was not run: "
                       "close it and open a new one (close_subplan, request_subplan: --toolsets subplans) if more work is needed")
    return Guarded(chosen, subplan)
