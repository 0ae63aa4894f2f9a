"""xem-mcp tools of the ``management`` toolset: decide_approval, resolve_ambiguous, approval_policy."""

from __future__ import annotations

from typing import Annotated, Literal

from mcp.server.mcpserver import Context
from pydantic import BaseModel, Field, StringConstraints

from servers.app import ToolGroup
from servers.xem.calls import bridge_of
from servers.xem.invocations import InvocationId, parse_id
from xem import services
from xem.domain.approvals import APPROVER, ApprovalPolicy
from xem.domain.manifest import NAME_PATTERN
from xem.domain.views import InvocationView

__all__ = ["approval_policy", "decide_approval", "resolve_ambiguous", "tools"]

tools = ToolGroup()
MANAGEMENT = "management"
Reason = Annotated[str, StringConstraints(min_length=1, max_length=2000)]
Approver = Annotated[str, StringConstraints(pattern=APPROVER)]


@tools.tool(MANAGEMENT, title="Decide an approval", read_only=False, destructive=False, idempotent=False, open_world=True,
            scope="management")
async def decide_approval(ctx: Context, id: InvocationId, decision: Literal["approved", "rejected"],
                          reason: Reason | None = None) -> InvocationView:
    """Approve (the invocation is dispatched) or reject (it never runs) a pending approval request by its id.

    The first decision wins. Errors: [not_found], [conflict] (already decided), [invalid_argument].
    """
    return await services.decide_approval(bridge_of(ctx), parse_id(id), decision, by="mcp", reason=reason, via="mcp")


@tools.tool(MANAGEMENT, title="Resolve an ambiguous mutation", read_only=False, destructive=False, idempotent=False,
            open_world=False, scope="management")
async def resolve_ambiguous(ctx: Context, id: InvocationId, outcome: Literal["succeeded", "failed"],
                            note: Reason) -> InvocationView:
    """Record what an ambiguous invocation actually did, after checking its target (a late agent result is kept too).

    Errors: [not_found], [invalid_transition] (not ambiguous), [conflict] (already resolved).
    """
    return await services.resolve_ambiguous(bridge_of(ctx), parse_id(id), outcome, note, "mcp")


class Policies(BaseModel):
    workspace: str
    policies: list[ApprovalPolicy] = Field(description="one per risk level: read, write, destructive, irreversible")


@tools.tool(MANAGEMENT, title="Approval policy", read_only=False, destructive=False, idempotent=True, open_world=False,
            scope="management")
async def approval_policy(
    ctx: Context,
    workspace: Annotated[str, StringConstraints(pattern=NAME_PATTERN)],
    risk: Literal["read", "write", "destructive", "irreversible"] | None = None,
    required: bool | None = None,
    sla_s: Annotated[int, Field(ge=1, le=30 * 86_400)] | None = None,
    escalation: Annotated[list[Approver], Field(max_length=10)] | None = None,
    inline: bool | None = None,
) -> Policies:
    """Show a workspace's approval policies, or set one risk level's (only the fields given change).

    Defaults: read/write need no approval; destructive/irreversible need one (SLA 3600 s, inline allowed).
    Errors: [invalid_argument].
    """
    bridge = bridge_of(ctx)
    if risk is not None and any(v is not None for v in (required, sla_s, escalation, inline)):
        current = {p.risk: p for p in await services.show_policies(bridge, workspace)}[risk]
        changes = {k: v for k, v in {"required": required, "sla_s": sla_s, "inline": inline,
                                     "escalation": tuple(escalation) if escalation is not None else None}.items()
                   if v is not None}
        await services.set_policy(bridge, ApprovalPolicy(**{**current.model_dump(), **changes, "default": False}), by="mcp")
    return Policies(workspace=workspace, policies=await services.show_policies(bridge, workspace))
