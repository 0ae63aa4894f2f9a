"""Tables of projects, their agent rosters and sprints (§4.2, §4.2.1, §4.3)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, DateTime, Index, Text
from sqlmodel import Field

from odm.domain.models._columns import (
    SCOPE_BUDGET_STATUS,
    Budgeted,
    Metadata,
    generated_status_state,
    generated_text,
    money,
    now_column,
    search_column,
    string,
    text_array,
    timestamp,
)

__all__ = ["Project", "ProjectAgentBinding", "Sprint"]


class Project(Metadata, Budgeted, table=True):
    __tablename__ = "projects"
    __table_args__ = (
        Index("projects_parent", "parent_project_id"),
        Index("projects_search", "search", postgresql_using="gin"),
        Index("projects_budget", "id", postgresql_where="budget_status <> 'within_budget'"),
    )

    id: str = string(nullable=False, primary_key=True)
    name: str = string(nullable=False)
    parent_project_id: str | None = Field(default=None, sa_type=Text, foreign_key="projects.id")
    topics: list[str] = text_array()
    description: str = string(nullable=False, default="")
    start_date: datetime = now_column()
    end_date: datetime | None = timestamp()
    lifecycle_phase: str = string(nullable=False, default="topic")
    status: str = string(nullable=False)
    state: str = string(nullable=False)
    status_state: str | None = generated_status_state()
    search: str | None = search_column("to_tsvector('english'::regconfig, name || ' ' || description)")
    plan_cost: Decimal | None = money()
    actual_cost: Decimal = money(nullable=False)
    actual_duration_minutes: Decimal = money(nullable=False)
    budget_status: str | None = generated_text(SCOPE_BUDGET_STATUS)


class ProjectAgentBinding(Metadata, table=True):
    __tablename__ = "project_agent_bindings"
    __table_args__ = (
        Index("project_agent_bindings_current", "project_id", "agent_id", unique=True, postgresql_where="left_at IS NULL"),
        Index("project_agent_bindings_one_orchestrator", "project_id", unique=True,
              postgresql_where="left_at IS NULL AND is_project_orchestrator"),
    )

    id: str = string(nullable=False, primary_key=True)
    project_id: str = Field(sa_type=Text, foreign_key="projects.id", nullable=False)
    agent_id: str = string(nullable=False)
    roles: list[str] = text_array()
    allocation: str = string(nullable=False)  # full_time | part_time | shared | on_demand
    is_project_orchestrator: bool = False
    joined_at: datetime = now_column()
    left_at: datetime | None = timestamp()


class Sprint(Metadata, Budgeted, table=True):
    __tablename__ = "sprints"
    __table_args__ = (Index("sprints_project", "project_id"), CheckConstraint("end_date >= start_date"),
                      Index("sprints_budget", "id", postgresql_where="budget_status <> 'within_budget'"))

    id: str = string(nullable=False, primary_key=True)
    project_id: str = Field(sa_type=Text, foreign_key="projects.id", nullable=False)
    name: str = string(nullable=False)
    start_date: datetime = Field(sa_type=DateTime(timezone=True), nullable=False)
    end_date: datetime = Field(sa_type=DateTime(timezone=True), nullable=False)
    status: str = string(nullable=False)
    state: str = string(nullable=False)
    status_state: str | None = generated_status_state()
    plan_cost: Decimal | None = money()
    actual_cost: Decimal = money(nullable=False)
    actual_duration_minutes: Decimal = money(nullable=False)
    budget_status: str | None = generated_text(SCOPE_BUDGET_STATUS)
