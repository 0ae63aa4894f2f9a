"""Tables of what happened: activities (§4.6, partitioned by month on ``created_at``), their evaluations
(§4.6.1, §16.2), the cost and time ledgers (§4.6.2-4.6.3) and budget holds (§7.6: a task paused for budget)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, Column, DateTime, Identity, Index, Numeric, Text
from sqlalchemy.dialects.postgresql import DOUBLE_PRECISION
from sqlmodel import Field, SQLModel

from odm.domain.models._columns import money, now_column, string, text_array, timestamp

__all__ = ["Activity", "ActivityEvaluation", "BudgetHold", "CostLedgerEntry", "TimeLedgerEntry"]



def _count() -> Any:
    return Field(default=None, sa_type=BigInteger, nullable=True)


def _amount() -> Any:
    return Field(default=Decimal(0), sa_type=Numeric, nullable=False)


class Activity(SQLModel, table=True):
    """Append-only; the one update allowed completes an open activity (see the 0003 migration)."""

    __tablename__ = "activities"
    __table_args__ = (
        CheckConstraint("ended_at IS NULL OR ended_at >= started_at"),
        Index("activities_agent", "agent_runtime_id", "created_at"),
        Index("activities_task", "task_id", "created_at"),
        Index("activities_type", "activity_type", "created_at"),
        Index("activities_session", "session_id", "created_at", postgresql_where="session_id IS NOT NULL"),
        {"postgresql_partition_by": "RANGE (created_at)"},
    )

    id: str = Field(sa_type=Text, primary_key=True)
    task_id: str = Field(sa_type=Text, foreign_key="tasks.id", nullable=False)
    agent_runtime_id: str = string(nullable=False)
    session_id: str | None = string()
    execution_surface_id: str | None = string()
    activity_type: str = string(nullable=False)
    sequence: int
    started_at: datetime = Field(sa_type=DateTime(timezone=True), nullable=False)
    ended_at: datetime | None = timestamp()
    duration_ms: int | None = _count()
    input_ref: str | None = string()
    output_ref: str | None = string()
    artifact_refs: list[str] = text_array()
    provider: str | None = string()
    model: str | None = string()
    auth_mode: str | None = string()
    prompt_tokens: int | None = _count()
    completion_tokens: int | None = _count()
    cached_tokens: int | None = _count()
    total_tokens: int | None = _count()
    estimated_cost: Decimal | None = money()
    actual_cost: Decimal | None = money()
    result_status: str = string(nullable=False)
    error_code: str | None = string()
    error_message: str | None = string()
    retryable: bool = False
    evaluation_ref: str | None = string()
    metadata_ref: str | None = string()
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), primary_key=True, nullable=False,
                                                  server_default="now()"))
    updated_at: datetime = now_column()


class ActivityEvaluation(SQLModel, table=True):
    __tablename__ = "activity_evaluations"
    __table_args__ = (Index("activity_evaluations_activity", "activity_id"),)

    id: str = string(nullable=False, primary_key=True)
    activity_id: str = string(nullable=False)
    activity_created_at: datetime = Field(sa_type=DateTime(timezone=True), nullable=False)
    success: bool | None = None
    score: float | None = Field(default=None, sa_type=DOUBLE_PRECISION)
    confidence: float | None = Field(default=None, sa_type=DOUBLE_PRECISION)
    reviewer_type: str = string(nullable=False)
    reviewer_id: str | None = string()
    findings: list[str] = text_array()
    corrections: list[str] = text_array()
    recommended_next_action: str | None = string()
    quality_notes: str | None = string()
    failure_reason: str | None = string()
    retry_recommended: bool | None = None
    human_correction_required: bool | None = None
    evaluated_at: datetime = now_column()
    created_at: datetime = now_column()


class CostLedgerEntry(SQLModel, table=True):
    """One per activity, written with it (no foreign key into the partitions: see revision 0003); ``amount`` NULL =
    the activity's cost is unknown (never 0)."""

    __tablename__ = "cost_ledger"
    __table_args__ = (
        Index("cost_ledger_activity", "activity_id", unique=True),
        Index("cost_ledger_task", "task_id", "recorded_at"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger, Identity(always=True), primary_key=True))
    activity_id: str = string(nullable=False)
    activity_created_at: datetime = Field(sa_type=DateTime(timezone=True), nullable=False)
    agent_runtime_id: str | None = string()
    task_id: str | None = string()
    ticket_id: str | None = string()
    sprint_id: str | None = string()
    project_id: str | None = string()
    provider: str | None = string()
    model: str | None = string()
    charge_type: str = string(nullable=False)
    quantity: Decimal = _amount()
    unit_cost: Decimal | None = money()
    amount: Decimal | None = money()
    currency: str = string(nullable=False, default="USD")
    recorded_at: datetime = now_column()


class TimeLedgerEntry(SQLModel, table=True):
    __tablename__ = "time_ledger"
    __table_args__ = (
        Index("time_ledger_activity", "activity_id", unique=True),
        Index("time_ledger_task", "task_id", "recorded_at"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger, Identity(always=True), primary_key=True))
    activity_id: str = string(nullable=False)
    activity_created_at: datetime = Field(sa_type=DateTime(timezone=True), nullable=False)
    agent_runtime_id: str | None = string()
    task_id: str | None = string()
    ticket_id: str | None = string()
    started_at: datetime = Field(sa_type=DateTime(timezone=True), nullable=False)
    ended_at: datetime | None = timestamp()
    duration_ms: int | None = _count()
    wait_reason: str | None = string()
    recorded_at: datetime = now_column()


class BudgetHold(SQLModel, table=True):
    """A task paused for budget (its hard limit or cost_cap crossed); released by a decision or an override."""

    __tablename__ = "budget_holds"
    __table_args__ = (Index("budget_holds_open", "task_id", unique=True, postgresql_where="released_at IS NULL"),)

    id: str = string(nullable=False, primary_key=True)
    task_id: str = Field(sa_type=Text, foreign_key="tasks.id", nullable=False)
    scope_type: str = string(nullable=False)
    scope_id: str = string(nullable=False)
    limit_kind: str = string(nullable=False)
    limit_amount: Decimal = _amount()
    actual_cost: Decimal = _amount()
    activity_id: str = string(nullable=False)
    prior_state: str = string(nullable=False)
    escalation_id: str | None = string()
    created_at: datetime = now_column()
    released_at: datetime | None = timestamp()
    released_by: str | None = string()
    release_ref: str | None = string()
