"""What the services answer: compact models for tools and lists, detail models for resources.

Built from database rows with ``model_validate(dict(row))``; extra columns are ignored, money
(``numeric``) becomes float.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict

__all__ = [
    "ClaimedTask", "EvolutionOut", "EvolutionResult", "HostOut", "IdeaOut", "NextTaskOut", "OverrideOut", "Page",
    "ProjectDetail", "ProjectOut", "ProjectRef", "RosterMember", "SearchHit", "SprintOut", "TaskBrief", "TaskDetail",
    "TaskOut", "ThreadOut", "TicketChange", "TicketDetail", "TicketOut", "TicketPlan", "TicketRef", "TopicOut", "TransitionOut", "UserOut",
]

T = TypeVar("T")


class View(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Budget(View):
    """Plan vs actual of a task, ticket, sprint or project (§7.4): exact decimals; incomplete = some cost unknown."""

    actual_cost: Decimal
    cost_incomplete: bool
    cost_variance: Decimal | None
    cost_variance_pct: float | None
    budget_status: str


class Page(View, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


class Lifecycled(View):
    id: str
    status: str
    state: str
    status_state: str


class ProjectRef(Lifecycled):
    name: str
    parent_project_id: str | None


class ProjectOut(Lifecycled):
    name: str
    parent_project_id: str | None
    description: str
    lifecycle_phase: str
    topics: list[str]


class RosterMember(View):
    agent_id: str
    roles: list[str]
    allocation: str
    is_project_orchestrator: bool
    joined_at: datetime
    left_at: datetime | None


class ProjectDetail(ProjectOut, Budget):
    plan_cost: Decimal | None
    actual_duration_minutes: Decimal
    budget_soft_limit: Decimal | None
    budget_hard_limit: Decimal | None
    budget_warning_pct: Decimal | None
    start_date: datetime
    end_date: datetime | None
    roster: list[RosterMember]
    sub_project_ids: list[str]
    tickets_by_status_state: dict[str, int]
    created_at: datetime
    updated_at: datetime


class SprintOut(Lifecycled):
    project_id: str
    name: str
    start_date: datetime
    end_date: datetime


class TicketRef(Lifecycled):
    title: str
    project_id: str


class TicketOut(Lifecycled):
    project_id: str
    sprint_id: str | None
    parent_ticket_id: str | None
    title: str
    priority: str
    plan_cost: float | None
    plan_duration: float | None


class TicketChange(TicketOut):  # what update_ticket answers
    effects: list[str] = []  # sprints (left or joined) that moved to follow their tickets


class TaskBrief(View):
    id: str
    title: str
    status_state: str
    priority: str
    claimed_by: str | None = None
    blocked_reason: str | None = None  # set in plan.blocked: the dependencies that will not complete


class EvolutionOut(View):
    id: str
    action: str
    source_ticket_id: str
    target_ticket_ids: list[str]
    task_ids: list[str]
    reason: str
    initiated_by: str
    details: dict[str, Any]
    created_at: datetime


class TicketDetail(TicketOut, Budget):
    description: str
    topics: list[str]
    required_model: str | None
    required_skills: list[str]
    actual_duration: float
    budget_soft_limit: Decimal | None
    budget_hard_limit: Decimal | None
    budget_warning_pct: Decimal | None
    historical: bool
    sub_ticket_ids: list[str]
    tasks: list[TaskBrief]
    lineage: list[EvolutionOut]
    created_at: datetime
    updated_at: datetime


class TaskOut(Lifecycled):  # what create_task/update_task answer; odm://tasks/{id} has everything
    ticket_id: str
    depends_on: list[str]
    spec_version: int
    claim_token: int | None
    spec_stale: bool
    effects: list[str] = []  # what followed the change: dependents blocked or released, parents that moved


class TaskDetail(TaskOut, Budget):
    title: str
    claimed_by: str | None
    blocked_reason: str | None = None
    project_id: str
    priority: str
    sequence: int
    requires_human: bool
    requires_approval: bool
    claim_expires_at: datetime | None
    objective: str
    description: str | None
    acceptance_criteria: list[str]
    constraints: list[str] = []
    blocks: list[str]
    risk_level: str
    execution_mode: str
    plan_cost: float | None
    cost_cap: float | None
    plan_duration_minutes: float | None
    actual_duration_minutes: float
    activity_count: int
    attempt_count: int
    assigned_runtime_id: str | None
    input_refs: list[str]
    output_refs: list[str]
    spec_snapshot: dict[str, Any] | None
    sla_due_at: datetime | None = None
    queued_at: datetime | None = None  # §8.4 markers, each set once
    started_at: datetime | None
    first_activity_at: datetime | None = None
    completed_at: datetime | None
    time_status: str | None = None  # §8.5: on_track | at_risk | breached; None = no deadline and no planned duration
    delay_category: str | None = None  # dependency | human_wait | retry | unknown
    delay_reason: str | None = None
    created_at: datetime
    updated_at: datetime


class ClaimedTask(View):
    id: str
    ticket_id: str
    title: str
    objective: str
    description: str | None
    acceptance_criteria: list[str]
    depends_on: list[str]
    spec_version: int
    cost_cap: float | None
    constraints: list[str] = []  # what human decisions attached: respect them


class NextTaskOut(View):
    task: ClaimedTask | None
    claim_token: int | None
    lease_expires_at: datetime | None
    renewed: bool
    note: str
    effects: list[str] = []  # parents the claim started (ticket, sprint, project)


class TransitionOut(View):
    kind: str
    id: str
    previous: str
    status: str
    state: str
    status_state: str
    override_record_id: str | None = None
    effects: list[str] = []


class TicketPlan(View):
    id: str
    status_state: str
    plan_cost: float | None
    plan_duration: float | None


class EvolutionResult(View):  # the record's id (its details are in the tickets' lineage) and the plans
    id: str
    action: str
    target_ticket_ids: list[str]
    task_ids: list[str]
    tickets: list[TicketPlan]
    effects: list[str] = []  # what followed: blocked dependents, tickets, sprints and projects that moved


class IdeaOut(Lifecycled):
    title: str
    topic_id: str | None
    source: str
    priority: str | None
    ticket_id: str | None
    review_cycle: str | None
    next_review_at: datetime | None
    thread_ids: list[str] = []


class ThreadOut(Lifecycled):
    title: str | None
    thread_type: str
    project_id: str | None
    linked_ticket_id: str | None
    linked_task_id: str | None
    idea_ids: list[str] = []


class TopicOut(View):
    id: str
    name: str
    parent_topic_id: str | None
    description: str
    taxonomy: list[str]
    related_topic_ids: list[str] = []


class UserOut(View):
    id: str
    name: str
    email: str | None
    role: str
    is_primary: bool
    status: str
    notification_channels: list[str]


class HostOut(View):
    id: str
    name: str
    role: str
    status: str
    vcpus: int
    ram_gb: float
    max_concurrent_agents: int
    active_agents: int


class OverrideOut(View):
    id: str
    scope_type: str
    scope_ref: str
    override_type: str
    reason: str
    issued_by: str
    prior_state_ref: str | None
    applied_change_ref: str | None
    created_at: datetime


class SearchHit(View):
    kind: str
    id: str
    title: str
    status_state: str | None
