"""Validated requests the services accept (one per use case); tools build them from their arguments.

Unknown fields are refused. ``idempotency_key`` is never part of an idempotency fingerprint.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, model_validator

from odm.domain.types import (
    DEFAULT_LEASE_SECONDS,
    AgentId,
    Allocation,
    Cost,
    EvolutionAction,
    ExecutionMode,
    HostRole,
    HostStatus,
    IdeaSource,
    IdemKey,
    InitiatedBy,
    Kind,
    LeaseSeconds,
    LifecyclePhase,
    LongText,
    Minutes,
    Name,
    NotificationChannel,
    Priority,
    Ref,
    ReviewCycle,
    ShortText,
    SourceChannel,
    Tag,
    Tags,
    ThreadType,
    Title,
    UserRole,
)

__all__ = [
    "Command", "EvolveTicket", "HostRegister", "IdeaCreate", "NextTask", "ProjectCreate", "ProjectUpdate",
    "RosterSet", "SplitPart", "SprintCreate", "TaskCreate", "TaskUpdate", "ThreadCreate", "TicketCreate",
    "TicketImport", "TicketUpdate", "TopicCreate", "Transition", "UserCreate",
]

PLAIN_LIST = WithJsonSchema({"type": "array", "items": {"type": "string"}})  # bounded, advertised plainly
Criteria = Annotated[list[ShortText], Field(max_length=50), PLAIN_LIST]
Refs = Annotated[list[Ref], Field(max_length=100), PLAIN_LIST]


class Command(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def fingerprint(self) -> str:
        """Stable hash of the content (without the idempotency key) to recognise a replay."""
        body = self.model_dump(mode="json", exclude={"idempotency_key"})
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


class ProjectCreate(Command):
    name: Name
    description: LongText = ""
    parent_project_id: Ref | None = None
    topics: Refs = []
    lifecycle_phase: LifecyclePhase = "topic"
    actor: AgentId | None = None
    idempotency_key: IdemKey | None = None


class ProjectUpdate(Command):
    id: Ref
    name: Name | None = None
    description: LongText | None = None
    topics: Refs | None = None
    lifecycle_phase: LifecyclePhase | None = None
    end_date: datetime | None = None
    actor: AgentId | None = None


class RosterSet(Command):
    project_id: Ref
    agent_id: AgentId
    roles: Tags = []
    allocation: Allocation = "shared"
    is_project_orchestrator: bool = False


class SprintCreate(Command):
    project_id: Ref
    name: Name
    start_date: datetime
    end_date: datetime
    actor: AgentId | None = None
    idempotency_key: IdemKey | None = None


class TicketCreate(Command):
    project_id: Ref
    title: Title
    description: LongText = ""
    priority: Priority = "normal"
    plan_cost: Cost | None = None
    plan_duration: Minutes | None = None
    topics: Refs = []
    sprint_id: Ref | None = None
    required_model: Ref | None = None
    required_skills: Tags = []
    actor: AgentId | None = None
    idempotency_key: IdemKey | None = None


class TicketImport(TicketCreate):
    id: Annotated[str, Field(pattern=r"^\d{3}$")]
    status: str = "create"
    state: str = "draft"


class TicketUpdate(Command):
    id: Ref
    title: Title | None = None
    description: LongText | None = None
    priority: Priority | None = None
    plan_cost: Cost | None = None
    plan_duration: Minutes | None = None
    topics: Refs | None = None
    sprint_id: Ref | None = None
    required_model: Ref | None = None
    required_skills: Tags | None = None
    actor: AgentId | None = None


class TaskCreate(Command):
    ticket_id: Ref
    title: Title
    objective: LongText = Field(min_length=1)
    description: LongText | None = None
    depends_on: Refs = []
    requires_human: bool = False
    requires_approval: bool = False
    plan_cost: Cost | None = None
    cost_cap: Cost | None = None
    plan_duration_minutes: Minutes | None = None
    acceptance_criteria: Criteria = []
    priority: Priority = "normal"
    risk_level: Priority = "normal"
    execution_mode: ExecutionMode = "headless"
    actor: AgentId | None = None
    idempotency_key: IdemKey | None = None


class TaskUpdate(Command):
    id: Ref
    claim_token: int | None = None
    title: Title | None = None
    objective: Annotated[LongText, Field(min_length=1)] | None = None
    description: LongText | None = None
    acceptance_criteria: Criteria | None = None
    depends_on: Refs | None = None
    priority: Priority | None = None
    risk_level: Priority | None = None
    requires_human: bool | None = None
    requires_approval: bool | None = None
    plan_cost: Cost | None = None
    cost_cap: Cost | None = None
    plan_duration_minutes: Minutes | None = None
    output_refs: Refs | None = None
    assigned_runtime_id: AgentId | None = None
    notes: LongText | None = None
    actor: AgentId | None = None


class Transition(Command):
    kind: Kind
    id: Ref
    status: Ref
    state: Ref | None = None
    reason: ShortText | None = None
    claim_token: int | None = None
    override: bool = False
    actor: AgentId | None = None

    @model_validator(mode="after")
    def _override_needs_reason(self) -> Transition:
        if self.override and not (self.reason or "").strip():
            raise ValueError("override=true needs a reason (it is written to an Override Record)")
        return self


class NextTask(Command):
    agent_id: AgentId
    project_id: Ref | None = None
    lease_seconds: LeaseSeconds = DEFAULT_LEASE_SECONDS


class SplitPart(Command):
    title: Title
    description: LongText = ""
    task_ids: Refs = []
    plan_cost: Cost | None = None
    plan_duration: Minutes | None = None


class EvolveTicket(Command):
    ticket_id: Ref
    action: EvolutionAction
    reason: Annotated[ShortText, Field(min_length=1)]
    parts: Annotated[list[SplitPart], Field(max_length=20)] = []
    target_ticket_id: Ref | None = None
    project_id: Ref | None = None
    sprint_id: Ref | None = None
    initiated_by: InitiatedBy = "orchestrator"
    actor: AgentId | None = None


class IdeaCreate(Command):
    title: Title
    description: LongText = ""
    topic_id: Ref | None = None
    source: IdeaSource = "user"
    source_ref: Ref | None = None
    raised_by_user_id: Ref | None = None
    raised_by_agent_id: AgentId | None = None
    priority: Priority | None = None
    review_cycle: ReviewCycle | None = None
    tags: Tags = []
    context: LongText | None = None
    thread_ids: Refs = []
    actor: AgentId | None = None
    idempotency_key: IdemKey | None = None


class ThreadCreate(Command):
    thread_type: ThreadType
    title: Title | None = None
    summary: LongText | None = None
    project_id: Ref | None = None
    topic_ids: Refs = []
    opened_by: AgentId | None = None
    participants: Annotated[list[AgentId], Field(max_length=50)] = []
    source_channel: SourceChannel | None = None
    idea_ids: Refs = []
    linked_ticket_id: Ref | None = None
    linked_task_id: Ref | None = None
    transcript_ref: Ref | None = None
    actor: AgentId | None = None
    idempotency_key: IdemKey | None = None


class TopicCreate(Command):
    name: Name
    parent_topic_id: Ref | None = None
    description: LongText = ""
    taxonomy: Tags = []
    related_topic_ids: Refs = []
    actor: AgentId | None = None
    idempotency_key: IdemKey | None = None


class UserCreate(Command):
    name: Name
    email: Annotated[str, Field(max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")] | None = None
    role: UserRole = "operator"
    auth_accounts: Annotated[list[Tag], Field(max_length=20)] = []
    notification_channels: Annotated[list[NotificationChannel], Field(max_length=5)] = []
    actor: AgentId | None = None
    idempotency_key: IdemKey | None = None


class HostRegister(Command):
    name: Name
    role: HostRole
    status: HostStatus = "online"
    ip_tailscale: Ref | None = None
    ip_public: Ref | None = None
    os: ShortText = ""
    cpu_model: ShortText = ""
    vcpus: Annotated[int, Field(ge=0, le=100000)] = 0
    ram_gb: Minutes = 0
    ssd_gb: Minutes = 0
    gpu: ShortText | None = None
    reserved_ram_gb: Minutes = 0
    available_ram_gb: Minutes = 0
    ram_per_agent_gb: Minutes = 0
    max_concurrent_agents: Annotated[int, Field(ge=0, le=100000)] = 0
    active_agents: Annotated[int, Field(ge=0, le=100000)] = 0
    active_services: Tags = []
    actor: AgentId | None = None
    idempotency_key: IdemKey | None = None
