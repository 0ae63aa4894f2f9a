"""odm-mcp default toolset: the eight work-graph tools every agent gets."""

from __future__ import annotations

from typing import Annotated, Literal

from mcp.server.mcpserver import Context
from pydantic import Field

from odm.commands import EvolveTicket, NextTask, ProjectCreate, SplitPart, TaskCreate, TaskUpdate, TicketCreate, Transition
from odm.services import OdmServices, evolution, projects, reads, tasks, tickets, transitions
from odm.services import claims as claim_service
from odm.types import (
    DEFAULT_LEASE_SECONDS,
    AgentId,
    Cost,
    EvolutionAction,
    IdemKey,
    InitiatedBy,
    Kind,
    LeaseSeconds,
    Limit,
    LongText,
    Minutes,
    Name,
    Priority,
    Ref,
    ShortText,
    Title,
)
from odm.views import EvolutionResult, NextTaskOut, Page, ProjectRef, SearchHit, TaskOut, TicketRef, TransitionOut
from servers.app import ToolGroup, runtime_of

__all__ = ["services", "tools"]

tools = ToolGroup()

Refs = Annotated[list[Ref], Field(max_length=100)]
Criteria = Annotated[list[ShortText], Field(max_length=50)]
Searchable = Literal["project", "ticket", "task", "idea", "discussion_thread"]


def services(ctx: Context) -> OdmServices:
    return runtime_of(ctx).services


def given(**values) -> dict:
    """The arguments the caller actually passed (None means 'leave as it is')."""
    return {k: v for k, v in values.items() if v is not None}


@tools.tool(title="Create project", read_only=False, destructive=False, idempotent=False, open_world=False)
async def create_project(ctx: Context, name: Name, description: LongText = "", parent_project_id: Ref | None = None,
                         idempotency_key: IdemKey | None = None) -> ProjectRef:
    """Create a project (or a sub-project of a top-level one). Same idempotency_key = same project.
    Errors: [not_found], [invalid_argument] nesting, [conflict], [idempotency_mismatch]."""
    project = await projects.create_project(services(ctx), ProjectCreate(**given(
        name=name, description=description, parent_project_id=parent_project_id, idempotency_key=idempotency_key)))
    return ProjectRef.model_validate(project.model_dump())


@tools.tool(title="Create ticket", read_only=False, destructive=False, idempotent=False, open_world=False)
async def create_ticket(ctx: Context, project_id: Ref, title: Title, description: LongText = "",
                        priority: Priority = "normal", plan_cost: Cost | None = None,
                        plan_duration: Minutes | None = None, topics: Refs = [],
                        idempotency_key: IdemKey | None = None) -> TicketRef:
    """Create the next ticket (1001, 1002, ...) of a project. plan_duration in minutes.
    Errors: [not_found], [conflict] closed project, [idempotency_mismatch]."""
    ticket = await tickets.create_ticket(services(ctx), TicketCreate(**given(
        project_id=project_id, title=title, description=description, priority=priority, plan_cost=plan_cost,
        plan_duration=plan_duration, topics=topics, idempotency_key=idempotency_key)))
    return TicketRef.model_validate(ticket.model_dump())


@tools.tool(title="Create task", read_only=False, destructive=False, idempotent=False, open_world=False)
async def create_task(ctx: Context, ticket_id: Ref, title: Title, objective: Annotated[LongText, Field(min_length=1)],
                      depends_on: Refs = [], requires_human: bool = False, requires_approval: bool = False,
                      plan_cost: Cost | None = None, cost_cap: Cost | None = None, acceptance_criteria: Criteria = [],
                      priority: Priority = "normal", risk_level: Priority = "normal",
                      idempotency_key: IdemKey | None = None) -> TaskOut:
    """Add the next task of a ticket (1001.01, ...). It waits in plan.queued until depends_on complete,
    then is ready.ready (or approval/discussion.waiting if gated). Errors: [not_found], [conflict]."""
    return await tasks.create_task(services(ctx), TaskCreate(**given(
        ticket_id=ticket_id, title=title, objective=objective, depends_on=depends_on, requires_human=requires_human,
        requires_approval=requires_approval, plan_cost=plan_cost, cost_cap=cost_cap,
        acceptance_criteria=acceptance_criteria, priority=priority, risk_level=risk_level,
        idempotency_key=idempotency_key)))


@tools.tool(title="Update task", read_only=False, destructive=True, idempotent=True, open_world=False)
async def update_task(ctx: Context, id: Ref, claim_token: int | None = None, title: Title | None = None,
                      objective: Annotated[LongText, Field(min_length=1)] | None = None,
                      description: LongText | None = None, acceptance_criteria: Criteria | None = None,
                      depends_on: Refs | None = None, priority: Priority | None = None,
                      requires_human: bool | None = None, requires_approval: bool | None = None,
                      plan_cost: Cost | None = None, cost_cap: Cost | None = None) -> TaskOut:
    """Change a task (omitted fields stay; depends_on replaces the list). Pass claim_token if you hold it.
    Errors: [not_found], [conflict] stale token/finished, [dependency_cycle]."""
    return await tasks.update_task(services(ctx), TaskUpdate(**given(
        id=id, claim_token=claim_token, title=title, objective=objective, description=description,
        acceptance_criteria=acceptance_criteria, depends_on=depends_on, priority=priority,
        requires_human=requires_human, requires_approval=requires_approval, plan_cost=plan_cost, cost_cap=cost_cap)))


@tools.tool(title="Change status/state", read_only=False, destructive=True, idempotent=True, open_world=False)
async def transition(ctx: Context, kind: Kind, id: Ref, status: Ref, state: Ref | None = None,
                     reason: ShortText | None = None, claim_token: int | None = None,
                     override: bool = False) -> TransitionOut:
    """Move an object to a status.state its lifecycle allows (odm://lifecycles/{kind}); override=true forces
    it (needs reason; writes an Override Record). Errors: [invalid_transition] lists allowed next, [conflict]."""
    return await transitions.transition(services(ctx), Transition(**given(
        kind=kind, id=id, status=status, state=state, reason=reason, claim_token=claim_token, override=override)))


@tools.tool(title="Claim next task", read_only=False, destructive=False, idempotent=False, open_world=False)
async def next_task(ctx: Context, agent_id: AgentId, project_id: Ref | None = None,
                    lease_seconds: LeaseSeconds = DEFAULT_LEASE_SECONDS) -> NextTaskOut:
    """Claim the best ready task (by priority, then sequence), or renew the one you hold. Keep claim_token
    for writes; call again before the lease ends. task null = nothing ready (note says why)."""
    return await claim_service.next_task(services(ctx), NextTask(**given(
        agent_id=agent_id, project_id=project_id, lease_seconds=lease_seconds)))


@tools.tool(title="Evolve ticket", read_only=False, destructive=True, idempotent=False, open_world=False)
async def evolve_ticket(ctx: Context, ticket_id: Ref, action: EvolutionAction, reason: Annotated[ShortText, Field(min_length=1)],
                        parts: Annotated[list[SplitPart], Field(max_length=20)] | None = None,
                        target_ticket_id: Ref | None = None, project_id: Ref | None = None,
                        sprint_id: Ref | None = None, initiated_by: InitiatedBy = "orchestrator") -> EvolutionResult:
    """Restructure a ticket with lineage: split (2+ parts)/spawn_subticket (1) move task_ids and plan to
    1001.1...; merge into target_ticket_id; reassign (project_id/sprint_id); defer/cancel/revive (tasks follow)."""
    return await evolution.evolve_ticket(services(ctx), EvolveTicket(**given(
        ticket_id=ticket_id, action=action, reason=reason, parts=parts, target_ticket_id=target_ticket_id,
        project_id=project_id, sprint_id=sprint_id, initiated_by=initiated_by)))


@tools.tool(title="Search work graph", read_only=True, destructive=False, idempotent=True, open_world=False)
async def search(ctx: Context, query: Annotated[str, Field(min_length=1, max_length=500)],
                 kinds: list[Searchable] | None = None, limit: Limit = 20, cursor: str | None = None) -> Page[SearchHit]:
    """Full-text search (web-search syntax) of titles, descriptions, objectives. Details:
    odm://tickets/{id}, odm://tasks/{id}."""
    return await reads.search(services(ctx), query, list(kinds) if kinds else None, limit, cursor)
