"""odm-mcp Ticket tools: create_ticket (default); planning: list_tickets, update_ticket, import_ticket."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context
from pydantic import Field

from odm.domain.commands import (
    TicketCreate,
    TicketImport,
    TicketUpdate,
)
from odm.domain.types import (
    Cost,
    IdemKey,
    Limit,
    LongText,
    Minutes,
    Priority,
    Ref,
    Tags,
    Title,
)
from odm.domain.views import (
    Page,
    TicketChange,
    TicketOut,
    TicketRef,
)
from odm.services import tickets
from servers.app import ToolGroup
from servers.odm._context import Refs, given, services

__all__ = ["create_ticket", "list_tickets", "update_ticket", "import_ticket"]

tools = ToolGroup()
PLAN = "planning"


@tools.tool(title="Create ticket", read_only=False, destructive=False, idempotent=False, open_world=False)
async def create_ticket(ctx: Context, project_id: Ref, title: Title, description: LongText = "",
                        priority: Priority = "normal", plan_cost: Cost | None = None,
                        plan_duration: Minutes | None = None, topics: Refs = [],
                        idempotency_key: IdemKey | None = None) -> TicketRef:
    """Create a project's next ticket (1001, ...); plan_duration in minutes. Errors: [not_found], [conflict]."""
    ticket = await tickets.create_ticket(services(ctx), TicketCreate(**given(
        project_id=project_id, title=title, description=description, priority=priority, plan_cost=plan_cost,
        plan_duration=plan_duration, topics=topics, idempotency_key=idempotency_key)))
    return TicketRef.model_validate(ticket.model_dump())


@tools.tool(PLAN, title="List tickets", read_only=True, destructive=False, idempotent=True, open_world=False)
async def list_tickets(ctx: Context, project_id: Ref | None = None, sprint_id: Ref | None = None,
                       status_state: Ref | None = None, limit: Limit = 20, cursor: str | None = None) -> Page[TicketOut]:
    """List tickets in number order, filtered by project, sprint or status_state. Errors: [invalid_argument]."""
    return await tickets.list_tickets(services(ctx), project_id=project_id, sprint_id=sprint_id,
                                      status_state=status_state, cursor=cursor, limit=limit)


@tools.tool(PLAN, title="Update ticket", read_only=False, destructive=True, idempotent=True, open_world=False)
async def update_ticket(ctx: Context, id: Ref, title: Title | None = None, description: LongText | None = None,
                        priority: Priority | None = None, plan_cost: Cost | None = None,
                        plan_duration: Minutes | None = None, topics: Refs | None = None, sprint_id: Ref | None = None,
                        required_model: Ref | None = None, required_skills: Tags | None = None) -> TicketChange:
    """Change a ticket's fields (omitted ones stay); sprint_id puts it in a sprint of its project.
    Errors: [not_found], [invalid_argument]."""
    return await tickets.update_ticket(services(ctx), TicketUpdate(**given(
        id=id, title=title, description=description, priority=priority, plan_cost=plan_cost,
        plan_duration=plan_duration, topics=topics, sprint_id=sprint_id, required_model=required_model,
        required_skills=required_skills)))


@tools.tool(PLAN, title="Import historical ticket", read_only=False, destructive=False, idempotent=False, open_world=False)
async def import_ticket(ctx: Context, id: Annotated[str, Field(pattern=r"^\d{3}$")], project_id: Ref, title: Title,
                        description: LongText = "", status: Ref = "create", state: Ref = "draft",
                        priority: Priority = "normal", plan_cost: Cost | None = None) -> TicketOut:
    """Import a historical 3-digit ticket (e.g. "069") as it stands, in any ticket status/state.
    Errors: [invalid_argument] id or pair, [conflict] already imported, [not_found] project."""
    return await tickets.import_ticket(services(ctx), TicketImport(**given(
        id=id, project_id=project_id, title=title, description=description, status=status, state=state,
        priority=priority, plan_cost=plan_cost)))
