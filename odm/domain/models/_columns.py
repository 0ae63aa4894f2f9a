"""Column helpers shared by the table models: arrays, timestamps, money, generated columns, metadata."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Column, Computed, DateTime, Numeric, Text, text
from sqlalchemy.dialects.postgresql import ARRAY, DOUBLE_PRECISION, JSONB, TSVECTOR
from sqlmodel import Field, SQLModel

__all__ = [
    "SCOPE_BUDGET_STATUS",
    "TASK_BUDGET_STATUS",
    "Budgeted",
    "counter",
    "generated_text",
    "Metadata",
    "double",
    "string",
    "generated_status_state",
    "jsonb",
    "money",
    "now_column",
    "search_column",
    "text_array",
    "timestamp",
]


def string(*, nullable: bool = True, default: Any = None, **kwargs: Any) -> Any:
    """A ``text`` column (SQLModel would say varchar)."""
    if not nullable and default is not None:
        kwargs.setdefault("sa_column_kwargs", {"server_default": text(f"'{default}'")})
    return Field(default=default, sa_type=Text, nullable=nullable, **kwargs)


def double() -> Any:
    return Field(default=0.0, sa_type=DOUBLE_PRECISION, nullable=False, sa_column_kwargs={"server_default": text("0")})


def text_array() -> Any:
    return Field(default_factory=list, sa_type=ARRAY(Text), nullable=False, sa_column_kwargs={"server_default": text("'{}'")})


def timestamp() -> Any:
    return Field(default=None, sa_type=DateTime(timezone=True), nullable=True)


def now_column() -> Any:
    return Field(default=None, sa_type=DateTime(timezone=True), nullable=False, sa_column_kwargs={"server_default": text("now()")})


def money(*, nullable: bool = True) -> Any:
    if nullable:
        return Field(default=None, sa_type=Numeric, nullable=True)
    return Field(default=Decimal(0), sa_type=Numeric, nullable=False, sa_column_kwargs={"server_default": text("0")})


def counter() -> Any:
    return Field(default=0, nullable=False, sa_column_kwargs={"server_default": text("0")})


def generated_text(expression: str) -> Any:
    return Field(default=None, sa_column=Column(Text, Computed(expression, persisted=True)))


# §7.4 budget_status, kept by the database (revision 0003 holds the same expressions)
SCOPE_BUDGET_STATUS = """CASE
    WHEN budget_hard_limit IS NOT NULL AND actual_cost > budget_hard_limit THEN 'blocked'
    WHEN (budget_soft_limit IS NOT NULL AND actual_cost > budget_soft_limit)
      OR (plan_cost IS NOT NULL AND actual_cost > plan_cost) THEN 'exceeded'
    WHEN actual_cost > 0 AND coalesce(budget_soft_limit, plan_cost, budget_hard_limit) IS NOT NULL
     AND actual_cost >= coalesce(budget_soft_limit, plan_cost, budget_hard_limit) * coalesce(budget_warning_pct, 80) / 100
        THEN 'warning'
    ELSE 'within_budget' END"""
TASK_BUDGET_STATUS = """CASE
    WHEN (cost_cap IS NOT NULL AND actual_cost > cost_cap) OR (plan_cost IS NOT NULL AND actual_cost > plan_cost)
        THEN 'exceeded'
    WHEN actual_cost > 0 AND coalesce(plan_cost, cost_cap) IS NOT NULL
     AND actual_cost >= coalesce(plan_cost, cost_cap) * 80 / 100 THEN 'warning'
    ELSE 'within_budget' END"""


class Budgeted(SQLModel):
    """Maintained totals and budget limits of a ticket, sprint or project (§7.4, §7.6)."""

    cost_unknown_count: int = counter()
    budget_soft_limit: Decimal | None = money()
    budget_hard_limit: Decimal | None = money()
    budget_warning_pct: Decimal | None = money()


def jsonb(*, nullable: bool = True) -> Any:
    return Field(default=None, sa_type=JSONB, nullable=nullable)


def generated_status_state() -> Any:
    return Field(default=None, sa_column=Column(Text, Computed("status || '.' || state", persisted=True)))


def search_column(expression: str) -> Any:
    return Field(default=None, exclude=True, sa_column=Column(TSVECTOR, Computed(expression, persisted=True)))


class Metadata(SQLModel):
    """Blueprint §12.2: the shared metadata contract every ODM table carries."""

    created_by: str | None = string()
    created_at: datetime = now_column()
    updated_by: str | None = string()
    updated_at: datetime = now_column()
    notes: str | None = string()
    tags: list[str] = text_array()
    labels: list[str] = text_array()
    source_system: str | None = string()
    source_ref: str | None = string()
    correlation_id: str | None = string()
    idempotency_key: str | None = string()
