"""odm-mcp Ticket evolution with lineage: evolve_ticket (default)."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context
from pydantic import Field

from odm.domain.commands import (
    EvolveTicket,
    SplitPart,
)
from odm.domain.types import (
    EvolutionAction,
    InitiatedBy,
    Ref,
    ShortText,
)
from odm.domain.views import (
    EvolutionResult,
)
from odm.services import evolution
from servers.app import ToolGroup
from servers.odm._context import given, services

__all__ = ["evolve_ticket"]

tools = ToolGroup()


@tools.tool(title="Evolve ticket", read_only=False, destructive=True, idempotent=False, open_world=False)
async def evolve_ticket(ctx: Context, ticket_id: Ref, action: EvolutionAction, reason: Annotated[ShortText, Field(min_length=1)],
                        parts: Annotated[list[SplitPart], Field(max_length=20)] | None = None,
                        target_ticket_id: Ref | None = None, project_id: Ref | None = None,
                        sprint_id: Ref | None = None, initiated_by: InitiatedBy = "orchestrator") -> EvolutionResult:
    """Restructure a ticket, keeping lineage: split/spawn_subticket (parts), merge, reassign, defer, cancel,
    revive."""
    return await evolution.evolve_ticket(services(ctx), EvolveTicket(**given(
        ticket_id=ticket_id, action=action, reason=reason, parts=parts, target_ticket_id=target_ticket_id,
        project_id=project_id, sprint_id=sprint_id, initiated_by=initiated_by)))
