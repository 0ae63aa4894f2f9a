"""Tables of tickets, their evolution records, the ticket counter and idempotency keys (§4.4, §11, §2.7)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Column, Identity, Index, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

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
)

__all__ = ["Counter", "IdempotencyKey", "Ticket", "TicketEvolution"]


class Ticket(Metadata, Budgeted, table=True):
    __tablename__ = "tickets"
    __table_args__ = (
        Index("tickets_project", "project_id", "status_state"),
        Index("tickets_sprint", "sprint_id"),
        Index("tickets_parent", "parent_ticket_id"),
        Index("tickets_search", "search", postgresql_using="gin"),
        Index("tickets_budget", "id", postgresql_where="budget_status <> 'within_budget'"),
    )

    id: str = string(nullable=False, primary_key=True)
    seq: int | None = Field(default=None, sa_column=Column(BigInteger, Identity(always=True), unique=True, nullable=False))
    project_id: str = Field(sa_type=Text, foreign_key="projects.id", nullable=False)
    sprint_id: str | None = Field(default=None, sa_type=Text, foreign_key="sprints.id")
    parent_ticket_id: str | None = Field(default=None, sa_type=Text, foreign_key="tickets.id")
    topics: list[str] = text_array()
    title: str = string(nullable=False)
    description: str = string(nullable=False, default="")
    priority: str = string(nullable=False, default="normal")
    required_model: str | None = string()
    required_skills: list[str] = text_array()
    status: str = string(nullable=False)
    state: str = string(nullable=False)
    status_state: str | None = generated_status_state()
    plan_cost: Decimal | None = money()
    actual_cost: Decimal = money(nullable=False)
    plan_duration: Decimal | None = money()  # minutes
    actual_duration: Decimal = money(nullable=False)
    task_counter: int = 0
    child_counter: int = 0
    historical: bool = False
    budget_status: str | None = generated_text(SCOPE_BUDGET_STATUS)
    search: str | None = search_column("to_tsvector('english'::regconfig, title || ' ' || description)")


class TicketEvolution(Metadata, table=True):
    """§11.3, append-only; ``task_ids`` are the tasks the action moved, paused, cancelled or restored."""

    __tablename__ = "ticket_evolutions"
    __table_args__ = (
        Index("ticket_evolutions_source", "source_ticket_id"),
        Index("ticket_evolutions_targets", "target_ticket_ids", postgresql_using="gin"),
    )

    id: str = string(nullable=False, primary_key=True)
    source_ticket_id: str = Field(sa_type=Text, foreign_key="tickets.id", nullable=False)
    action: str = string(nullable=False)  # split | spawn_subticket | merge | reassign | defer | cancel | revive
    target_ticket_ids: list[str] = text_array()
    task_ids: list[str] = text_array()
    reason: str = string(nullable=False)
    initiated_by: str = string(nullable=False)  # human | orchestrator | governor | system
    details: dict[str, Any] = Field(default_factory=dict, sa_type=JSONB, nullable=False)


class Counter(SQLModel, table=True):
    """Gap-free numbering: the row is updated in the transaction that uses the number."""

    __tablename__ = "counters"

    name: str = Field(sa_type=Text, primary_key=True)
    value: int = Field(sa_type=BigInteger, nullable=False)


class IdempotencyKey(SQLModel, table=True):
    __tablename__ = "idempotency_keys"

    scope: str = Field(sa_type=Text, primary_key=True)
    key: str = Field(sa_type=Text, primary_key=True)
    request_hash: str = string(nullable=False)
    object_id: str | None = string()
    created_at: datetime = now_column()
