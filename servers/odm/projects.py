"""odm-mcp Project, roster and sprint tools: create_project (default); planning: list/get/update projects, rosters, sprints."""

from __future__ import annotations

from datetime import datetime

from mcp.server.mcpserver import Context
from pydantic import BaseModel

from odm.domain.commands import (
    ProjectCreate,
    ProjectUpdate,
    RosterSet,
    SprintCreate,
)
from odm.domain.types import (
    AgentId,
    Allocation,
    IdemKey,
    LifecyclePhase,
    Limit,
    LongText,
    Name,
    Ref,
    Tags,
)
from odm.domain.views import (
    Page,
    ProjectDetail,
    ProjectOut,
    ProjectRef,
    RosterMember,
    SprintOut,
)
from odm.services import projects
from servers.app import ToolGroup
from servers.odm._context import Refs, given, services

__all__ = [
    "create_project",
    "list_projects",
    "get_project",
    "update_project",
    "set_roster_member",
    "remove_roster_member",
    "create_sprint",
    "list_sprints",
]

tools = ToolGroup()
PLAN = "planning"


class Roster(BaseModel):
    project_id: str
    members: list[RosterMember]


@tools.tool(title="Create project", read_only=False, destructive=False, idempotent=False, open_world=False)
async def create_project(ctx: Context, name: Name, description: LongText = "", parent_project_id: Ref | None = None,
                         idempotency_key: IdemKey | None = None) -> ProjectRef:
    """Create a project (or sub-project); same idempotency_key, same project. Errors: [not_found],
    [invalid_argument]."""
    project = await projects.create_project(services(ctx), ProjectCreate(**given(
        name=name, description=description, parent_project_id=parent_project_id, idempotency_key=idempotency_key)))
    return ProjectRef.model_validate(project.model_dump())


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


@tools.tool(PLAN, title="Set roster member", read_only=False, destructive=False, idempotent=True, open_world=False,
            scope="management")
async def set_roster_member(ctx: Context, project_id: Ref, agent_id: AgentId, roles: Tags = [],
                            allocation: Allocation = "shared", is_project_orchestrator: bool = False) -> Roster:
    """Put an agent on a project's roster (or change its roles/allocation); a new orchestrator replaces the
    previous one. Errors: [not_found], [conflict] closed project."""
    members = await projects.set_roster_member(services(ctx), RosterSet(
        project_id=project_id, agent_id=agent_id, roles=roles, allocation=allocation,
        is_project_orchestrator=is_project_orchestrator))
    return Roster(project_id=project_id, members=members)


@tools.tool(PLAN, title="Remove roster member", read_only=False, destructive=True, idempotent=False, open_world=False,
            scope="management")
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
