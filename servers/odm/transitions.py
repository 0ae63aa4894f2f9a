"""odm-mcp Lifecycle moves: transition (default); planning: list_overrides (the Override Records of forced moves)."""

from __future__ import annotations

from mcp.server.mcpserver import Context

from odm.domain.commands import (
    Transition,
)
from odm.domain.types import (
    Kind,
    Limit,
    Ref,
    ShortText,
)
from odm.domain.views import (
    OverrideOut,
    Page,
    TransitionOut,
)
from odm.services import transitions
from servers.app import ToolGroup
from servers.odm._context import given, services

__all__ = ["transition", "list_overrides"]

tools = ToolGroup()
PLAN = "planning"


@tools.tool(title="Change status/state", read_only=False, destructive=True, idempotent=True, open_world=False,
            elevate={"override": "management"})  # a forced move is an operator's act
async def transition(ctx: Context, kind: Kind, id: Ref, status: Ref, state: Ref | None = None,
                     reason: ShortText | None = None, claim_token: int | None = None,
                     override: bool = False) -> TransitionOut:
    """Move an object along its lifecycle (odm://lifecycles/{kind}); override=true + reason forces it.
    effects: what followed (parents, dependents). Errors: [invalid_transition]."""
    return await transitions.transition(services(ctx), Transition(**given(
        kind=kind, id=id, status=status, state=state, reason=reason, claim_token=claim_token, override=override)))


@tools.tool(PLAN, title="List override records", read_only=True, destructive=False, idempotent=True, open_world=False)
async def list_overrides(ctx: Context, scope_type: Ref | None = None, scope_ref: Ref | None = None,
                         limit: Limit = 20) -> Page[OverrideOut]:
    """Override Records (forced moves), newest first, optionally for one object (scope_type + scope_ref)."""
    items = await transitions.list_overrides(services(ctx), scope_type=scope_type, scope_ref=scope_ref, limit=limit)
    return Page[OverrideOut](items=items)
