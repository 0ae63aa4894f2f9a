"""Approval requests and policies: decide (first decision wins), the SLA sweep (escalate along the chain, then
time out), and the per-workspace policy documents. A rejected or timed-out invocation never reaches an agent."""

from __future__ import annotations

import json
import uuid
from typing import Any

from servers.kernel.errors import NotFound
from xem.domain.approvals import ApprovalPolicy, Decision, next_step
from xem.domain.catalog import ExecTool
from xem.domain.manifest import RISKS
from xem.domain.protocol import TraceContext
from xem.domain.views import InvocationView, invocation_view
from xem.services._work import Work, read_only, single_statement, transactional
from xem.services.invocations import catalog_of, conflict_already, dispatch, policy_for
from xem.services.workspaces import workspace_gate

__all__ = ["decide_approval", "expire_approvals", "list_approvals", "set_policy", "show_policies"]


async def _release(w: Work, row: Any, inv: Any) -> None:
    """Dispatch an approved invocation to an online agent serving its tool (or fail it: nobody can run it now)."""
    catalog = await catalog_of(w)
    spec: ExecTool | None = catalog.find(inv["workspace"], inv["tool"])
    wanted = inv["requested_agent"]
    agents = [a for a in (spec.agents if spec else ()) if wanted is None or a == wanted]
    gate, record = await workspace_gate(w, inv["workspace"])
    if not gate.open:  # closed since the call was made: fail closed, say why
        await w.invocations.set_state(inv["id"], "failed", error=f"[forbidden] approved, but {gate.reason}")
        return
    if spec is None or not agents:
        await w.invocations.set_state(inv["id"], "failed", error=(
            f"[unavailable] approved, but no online agent serves {inv['workspace']}__{inv['tool']} now; call again with a "
            "new idempotency_key when one is online"))
        return
    counts = await w.invocations.in_flight_counts()
    agent = min(agents, key=lambda a: (counts.get(a, 0), a))
    trace = TraceContext.model_validate(json.loads(inv["trace_context"]))
    await dispatch(w, inv["id"], agent, spec, json.loads(inv["arguments"]), trace, record=record)


@transactional
async def decide_approval(w: Work, approval_id: uuid.UUID, decision: Decision, *, by: str, reason: str | None = None,
                          via: str = "mcp") -> InvocationView:
    """Approve (the invocation is dispatched) or reject (it never reaches an agent) a pending approval request.

    Raises:
        NotFound: no such request. Conflict: it was decided already (the first decision stands).
    """
    row = await w.approvals.get(approval_id)
    if row is None:
        raise NotFound(f"no approval request {approval_id}; see `xeroctl approvals list`")
    decided = await w.approvals.decide(approval_id, decision, by, reason, via)
    if decided is None:
        raise conflict_already(await w.approvals.get(approval_id))
    inv = await w.invocations.get(row["invocation_id"], lock=True)
    assert inv is not None
    await w.audit.event(f"approval_{decision}", agent=inv["agent_name"], invocation=str(inv["id"]), by=by, via=via,
                        reason=reason)
    if inv["state"] == "pending_approval":
        if decision == "approved":
            await _release(w, row, inv)
        else:
            await w.invocations.set_state(inv["id"], "rejected", error=(
                f"[approval_rejected] approval {approval_id} was rejected by {by}" + (f": {reason}" if reason else "")))
    fresh = await w.invocations.get(inv["id"])
    return invocation_view(fresh, await w.approvals.latest_for(inv["id"]))


@transactional
async def expire_approvals(w: Work) -> int:
    """Requests past their SLA: escalated to the next in the policy's chain (a new request), else timed out (the
    invocation ends ``timeout`` and never reaches an agent). Returns how many were resolved."""
    due = await w.approvals.due()
    for row in due:
        inv = await w.invocations.get(row["invocation_id"], lock=True)
        assert inv is not None
        policy = await policy_for(w, inv["workspace"], inv["risk"])
        successor = next_step(policy, row["level"])
        if successor is not None:
            await w.approvals.decide(row["id"], "escalated", None, f"SLA of {policy.sla_s}s passed; asking {successor}", "sla")
            await w.approvals.open(uuid.uuid4(), inv["id"], row["level"] + 1, successor, policy.sla_s)
            await w.audit.event("approval_escalated", invocation=str(inv["id"]), to=successor)
            continue
        await w.approvals.decide(row["id"], "timeout", None, f"no decision within {policy.sla_s}s", "sla")
        if inv["state"] == "pending_approval":
            await w.invocations.set_state(inv["id"], "timeout", error=(
                f"[approval_required] approval {row['id']} timed out after {policy.sla_s}s without a decision; call "
                "again with a new idempotency_key to ask again"))
    return len(due)


@read_only
async def list_approvals(w: Work, *, state: str | None = "pending", limit: int = 100) -> list[Any]:
    rows: list[Any] = await w.approvals.page(state=state, limit=limit)
    return rows


@single_statement
async def set_policy(w: Work, policy: ApprovalPolicy, *, by: str) -> ApprovalPolicy:
    await w.approvals.set_policy(policy.workspace, policy.risk, policy.required, policy.sla_s, list(policy.escalation),
                                 policy.inline, by)
    return policy.model_copy(update={"default": False})


@read_only
async def show_policies(w: Work, workspace: str) -> list[ApprovalPolicy]:
    """The policy of every risk level in ``workspace`` (stored, or the defaults)."""
    return [await policy_for(w, workspace, risk) for risk in RISKS]
