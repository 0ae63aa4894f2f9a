"""Tables of tasks and their dependency edges (§4.5); ``blocks`` is the reverse of ``depends_on``."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, Column, Computed, Index, SmallInteger, Text
from sqlmodel import Field, SQLModel

from odm.domain.models._columns import (
    TASK_BUDGET_STATUS,
    Metadata,
    counter,
    generated_status_state,
    generated_text,
    jsonb,
    money,
    now_column,
    search_column,
    string,
    text_array,
    timestamp,
)

__all__ = ["CLAIMABLE_PREDICATE", "Task", "TaskDependency"]

# Must equal the claimable pairs of the task lifecycle (tests/odm check it); next_task's query
# repeats this predicate literally so PostgreSQL can use the partial index.
CLAIMABLE_PREDICATE = "claimed_by IS NULL AND status_state IN ('ready.ready', 'execute.ready')"

# Most urgent first when sorted ascending (so the claim index needs no DESC column).
_PRIORITY_ORDER = "CASE priority WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END"


class Task(Metadata, table=True):
    __tablename__ = "tasks"
    __table_args__ = (
        CheckConstraint("(claimed_by IS NULL) = (claim_expires_at IS NULL)"),
        Index("tasks_ticket", "ticket_id", "sequence"),
        Index("tasks_project", "project_id", "status_state"),
        Index("tasks_status_state", "status_state", "id"),
        Index("tasks_claimed_by", "claimed_by", postgresql_where="claimed_by IS NOT NULL"),
        Index("tasks_claim_expiry", "claim_expires_at",
              postgresql_where="claimed_by IS NOT NULL AND status_state = 'execute.active'"),
        Index("tasks_claimable", "priority_order", "ticket_seq", "sequence", postgresql_where=CLAIMABLE_PREDICATE),
        Index("tasks_search", "search", postgresql_using="gin"),
        Index("tasks_budget", "id", postgresql_where="budget_status <> 'within_budget'"),
    )

    id: str = string(nullable=False, primary_key=True)
    ticket_id: str = Field(sa_type=Text, foreign_key="tickets.id", nullable=False)
    project_id: str = Field(sa_type=Text, foreign_key="projects.id", nullable=False)
    ticket_seq: int = Field(sa_type=BigInteger, nullable=False)
    parent_task_id: str | None = Field(default=None, sa_type=Text, foreign_key="tasks.id")
    sequence: int
    title: str = string(nullable=False)
    objective: str = string(nullable=False)
    description: str | None = string()
    assigned_agent_template_id: str | None = string()
    assigned_runtime_id: str | None = string()
    assigned_topic_ids: list[str] = text_array()
    execution_mode: str = string(nullable=False, default="headless")
    requires_human: bool = False
    requires_approval: bool = False
    allows_parallel_subwork: bool = False
    input_refs: list[str] = text_array()
    output_refs: list[str] = text_array()
    acceptance_criteria: list[str] = text_array()
    constraints: list[str] = text_array()  # attached by human decisions (constrain, redirect); the claimer sees them
    priority: str = string(nullable=False, default="normal")
    priority_order: int | None = Field(default=None, sa_column=Column(SmallInteger, Computed(_PRIORITY_ORDER, persisted=True)))
    risk_level: str = string(nullable=False, default="normal")
    plan_cost: Decimal | None = money()
    cost_cap: Decimal | None = money()
    actual_cost: Decimal = money(nullable=False)
    plan_duration_minutes: Decimal | None = money()
    actual_duration_minutes: Decimal = money(nullable=False)
    sla_due_at: datetime | None = timestamp()
    attempt_count: int = 0
    max_attempts: int | None = None
    spec_version: int = 1
    spec_snapshot: dict[str, Any] | None = jsonb()
    status: str = string(nullable=False)
    state: str = string(nullable=False)
    status_state: str | None = generated_status_state()
    started_at: datetime | None = timestamp()
    completed_at: datetime | None = timestamp()
    queued_at: datetime | None = timestamp()  # §8.4 markers: set once (trigger odm_task_markers, revision c002)
    first_activity_at: datetime | None = timestamp()
    state_changed_at: datetime = now_column()
    claimed_by: str | None = string()
    claim_token: int | None = Field(default=None, sa_type=BigInteger)
    claimed_at: datetime | None = timestamp()
    claim_expires_at: datetime | None = timestamp()
    lease_seconds: int | None = None
    search: str | None = search_column(
        "to_tsvector('english'::regconfig, title || ' ' || objective || ' ' || coalesce(description, ''))"
    )
    cost_unknown_count: int = counter()
    activity_count: int = counter()
    budget_status: str | None = generated_text(TASK_BUDGET_STATUS)


class TaskDependency(SQLModel, table=True):
    __tablename__ = "task_dependencies"
    __table_args__ = (CheckConstraint("task_id <> depends_on_id"), Index("task_dependencies_blocks", "depends_on_id"))

    task_id: str = Field(sa_type=Text, foreign_key="tasks.id", primary_key=True)
    depends_on_id: str = Field(sa_type=Text, foreign_key="tasks.id", primary_key=True)
