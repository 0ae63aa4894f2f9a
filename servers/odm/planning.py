"""odm-mcp ``planning`` toolset, part 1 (projects, rosters, sprints, tickets, task lists, assignment) and ``claims``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from mcp.server.mcpserver import Context
from pydantic import BaseModel, Field

from odm.commands import ProjectUpdate, RosterSet, SprintCreate, TaskUpdate, TicketImport, TicketUpdate
from odm.services import claims, projects, tasks, tickets, transitions
from odm.types import (
    AgentId,
    Allocation,
    Cost,
    IdemKey,
    LeaseSeconds,
    LifecyclePhase,
    Limit,
    LongText,
    Minutes,
    Name,
    Priority,
    Ref,
    Tags,
    Title,
)
from odm.views import OverrideOut, Page, ProjectDetail, ProjectOut, RosterMember, SprintOut, TaskBrief, TaskOut, TicketOut
from servers.app import ToolGroup
from servers.odm.tools import Refs, given, services

__all__ = ["Claims", "Roster"]

tools = ToolGroup()

PLAN, CLAIMS = "planning", "claims"


class Roster(BaseModel):
    project_id: str
    members: list[RosterMember]


class Claims(BaseModel):
    agent_id: str
    task_ids: list[str]


@tools.tool(PLAN, title="List projects", read_only=True, destructive=False, idempotent=True, open_world=False)
async def list_projects(ctx: Context, parent_project_id: Ref | None = None, status_state: Ref | None = None,
                        limit: Limit = 20, cursor: str | None = None) -> Page[ProjectOut]:
    """List projects (compact), optionally the sub-projects of one or those in one status_state. Errors: [invalid_argument]."""
    return await projects.list_projects(services(ctx), parent_project_id=parent_project_id, status_state=status_state,
                                        cursor=cursor, limit=limit)


@tools.tool(PLAN, title="Get project", read_only=True, destructive=False, idempotent=True, open_world=False)
async def get_project(ctx: Context, id: Ref) -> ProjectDetail:
    """A project with its roster, sub-projects and ticket counts by status_state. Errors: [not_found]."""
    return await projects.get_project(services(ctx), id)


@tools.tool(PLAN, title="Update project", read_only=False, destructive=True, idempotent=True, open_world=False)
async def update_project(ctx: Context, id: Ref, name: Name | None = None, description: LongText | None = None,
                         topics: Refs | None = None, lifecycle_phase: LifecyclePhase | None = None,
                         end_date: datetime | None = None) -> ProjectOut:
    """Change a project's name, description, topics, lifecycle_phase (topic -> ... -> maintenance) or end_date.
    Status/state change only through transition. Errors: [not_found]."""
    return await projects.update_project(services(ctx), ProjectUpdate(**given(
        id=id, name=name, description=description, topics=topics, lifecycle_phase=lifecycle_phase, end_date=end_date)))


@tools.tool(PLAN, title="Set roster member", read_only=False, destructive=False, idempotent=True, open_world=False)
async def set_roster_member(ctx: Context, project_id: Ref, agent_id: AgentId, roles: Tags = [],
                            allocation: Allocation = "shared", is_project_orchestrator: bool = False) -> Roster:
    """Put an agent on a project's roster (or change its roles/allocation); a new orchestrator replaces the
    previous one. Errors: [not_found], [conflict] closed project."""
    members = await projects.set_roster_member(services(ctx), RosterSet(
        project_id=project_id, agent_id=agent_id, roles=roles, allocation=allocation,
        is_project_orchestrator=is_project_orchestrator))
    return Roster(project_id=project_id, members=members)


@tools.tool(PLAN, title="Remove roster member", read_only=False, destructive=True, idempotent=False, open_world=False)
async def remove_roster_member(ctx: Context, project_id: Ref, agent_id: AgentId) -> Roster:
    """Take an agent off a project's roster (its binding gets left_at). Errors: [not_found]."""
    members = await projects.remove_roster_member(services(ctx), project_id, agent_id)
    return Roster(project_id=project_id, members=members)


@tools.tool(PLAN, title="Create sprint", read_only=False, destructive=False, idempotent=False, open_world=False)
async def create_sprint(ctx: Context, project_id: Ref, name: Name, start_date: datetime, end_date: datetime,
                        idempotency_key: IdemKey | None = None) -> SprintOut:
    """Create a time-boxed sprint in a project (add tickets with update_ticket sprint_id).
    Errors: [not_found], [invalid_argument] dates, [conflict] closed project, [idempotency_mismatch]."""
    return await projects.create_sprint(services(ctx), SprintCreate(**given(
        project_id=project_id, name=name, start_date=start_date, end_date=end_date, idempotency_key=idempotency_key)))


@tools.tool(PLAN, title="List sprints", read_only=True, destructive=False, idempotent=True, open_world=False)
async def list_sprints(ctx: Context, project_id: Ref | None = None, limit: Limit = 20,
                       cursor: str | None = None) -> Page[SprintOut]:
    """List sprints (of one project). Errors: [invalid_argument] cursor."""
    return await projects.list_sprints(services(ctx), project_id=project_id, cursor=cursor, limit=limit)


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
                        required_model: Ref | None = None, required_skills: Tags | None = None) -> TicketOut:
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


@tools.tool(PLAN, title="List tasks", read_only=True, destructive=False, idempotent=True, open_world=False)
async def list_tasks(ctx: Context, ticket_id: Ref | None = None, project_id: Ref | None = None,
                     status_state: Annotated[list[Ref], Field(max_length=30)] | None = None,
                     claimed_by: AgentId | None = None, limit: Limit = 20, cursor: str | None = None) -> Page[TaskBrief]:
    """List tasks (compact) by ticket, project, status_state(s) or claimer. Errors: [invalid_argument]."""
    return await tasks.list_tasks(services(ctx), ticket_id=ticket_id, project_id=project_id,
                                  status_state=list(status_state) if status_state else None, claimed_by=claimed_by,
                                  cursor=cursor, limit=limit)


@tools.tool(PLAN, title="Assign task", read_only=False, destructive=True, idempotent=True, open_world=False)
async def assign_task(ctx: Context, id: Ref, agent_id: AgentId, claim_token: int | None = None) -> TaskOut:
    """(Re)assign a task to an agent; its spec_snapshot is written for the assignee. Claims still come from
    next_task. Errors: [not_found], [conflict] stale token or finished task."""
    return await tasks.update_task(services(ctx), TaskUpdate(**given(id=id, assigned_runtime_id=agent_id,
                                                                     claim_token=claim_token)))


@tools.tool(CLAIMS, title="Renew claims", read_only=False, destructive=False, idempotent=True, open_world=False)
async def renew_claims(ctx: Context, agent_id: AgentId, lease_seconds: LeaseSeconds | None = None) -> Claims:
    """Extend the leases of every live claim an agent holds (a heartbeat; bus-mcp calls it when the agent
    heartbeats with in_flight work). lease_seconds null = each claim by its own lease. Returns the renewed task ids."""
    renewed = await claims.renew_claims(services(ctx), agent_id, lease_seconds)
    return Claims(agent_id=agent_id, task_ids=[r["id"] for r in renewed])


@tools.tool(CLAIMS, title="Release claims", read_only=False, destructive=True, idempotent=True, open_world=False)
async def release_claims(ctx: Context, agent_id: AgentId) -> Claims:
    """Release every claim of an agent (e.g. it is gone): running tasks return to ready.ready for others."""
    return Claims(agent_id=agent_id, task_ids=await claims.release_claims(services(ctx), agent_id))


@tools.tool(PLAN, title="List override records", read_only=True, destructive=False, idempotent=True, open_world=False)
async def list_overrides(ctx: Context, scope_type: Ref | None = None, scope_ref: Ref | None = None,
                         limit: Limit = 20) -> Page[OverrideOut]:
    """Override Records (forced moves), newest first, optionally for one object (scope_type + scope_ref)."""
    items = await transitions.list_overrides(services(ctx), scope_type=scope_type, scope_ref=scope_ref, limit=limit)
    return Page[OverrideOut](items=items)
