"""odm-mcp Task tools: create_task, update_task (default); planning: list_tasks, assign_task."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context
from pydantic import Field, WithJsonSchema

from odm.domain.commands import (
    TaskCreate,
    TaskUpdate,
)
from odm.domain.types import (
    AgentId,
    Cost,
    IdemKey,
    Limit,
    LongText,
    Priority,
    Ref,
    ShortText,
    Title,
)
from odm.domain.views import (
    Page,
    TaskBrief,
    TaskOut,
)
from odm.services import tasks
from servers.app import ToolGroup
from servers.odm._context import Refs, given, services

__all__ = ["create_task", "update_task", "list_tasks", "assign_task"]

tools = ToolGroup()
PLAN = "planning"


PLAIN_LIST = WithJsonSchema({"type": "array", "items": {"type": "string"}})  # bounded, advertised plainly
Criteria = Annotated[list[ShortText], Field(max_length=50), PLAIN_LIST]


@tools.tool(title="Create task", read_only=False, destructive=False, idempotent=False, open_world=False)
async def create_task(ctx: Context, ticket_id: Ref, title: Title, objective: Annotated[LongText, Field(min_length=1)],
                      depends_on: Refs = [], requires_human: bool = False, requires_approval: bool = False,
                      plan_cost: Cost | None = None, cost_cap: Cost | None = None, acceptance_criteria: Criteria = [],
                      priority: Priority = "normal", risk_level: Priority = "normal",
                      idempotency_key: IdemKey | None = None) -> TaskOut:
    """Add a ticket's next task (1001.01, ...); it waits in plan.queued for depends_on. Errors: [not_found],
    [conflict]."""
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
    """Change a task (omitted fields stay). Pass your claim_token. Errors: [not_found], [conflict],
    [dependency_cycle]."""
    return await tasks.update_task(services(ctx), TaskUpdate(**given(
        id=id, claim_token=claim_token, title=title, objective=objective, description=description,
        acceptance_criteria=acceptance_criteria, depends_on=depends_on, priority=priority,
        requires_human=requires_human, requires_approval=requires_approval, plan_cost=plan_cost, cost_cap=cost_cap)))


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
