"""Accounting in the domain: what an activity record, a completion, an evaluation and a budget change carry,
what the accounting use cases answer, and the pure rules (accepting states, variance, crossing a limit)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, model_validator

from odm.domain.commands import Command
from odm.domain.types import AgentId, Cost, Ref, ShortText

__all__ = [
    "ACCEPTING_STATUSES", "ActivityComplete", "ActivityOut", "ActivityRecorded", "ActivityRecord", "ActivityType", "BatchOut",
    "BudgetOut", "BudgetSet", "EvaluationCreate", "EvaluationOut", "Rollup", "TimeRange", "crossed", "variance",
]

ActivityType = Literal["prompt", "tool_call", "file_change", "code_exec", "search", "retrieval", "evaluation",
                       "escalation", "approval", "recovery", "dream"]
ResultStatus = Literal["success", "partial", "failed", "cancelled", "blocked"]
AuthMode = Literal["subscription", "api_key", "hybrid"]
ReviewerType = Literal["system", "agent", "human", "governor", "test_system"]
BudgetKind = Literal["project", "sprint", "ticket", "task"]
# bounded (a bigint holds them) but advertised as plain non-negative integers: they are many, schemas stay small
Tokens = Annotated[int, Field(ge=0, le=10**12), WithJsonSchema({"type": "integer", "minimum": 0})]
Millis = Tokens
Fraction = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
Pct = Annotated[float, Field(gt=0, le=100, allow_inf_nan=False)]
Notes = Annotated[list[ShortText], Field(max_length=50)]

# Statuses of a task in progress, whose work may be recorded: it is running, under review or test, recovering,
# or at a human gate (approvals and escalations are activities too). Not before it starts (create, plan, ready)
# and not after it ends (complete, archive): late telemetry must be flushed before the task completes.
ACCEPTING_STATUSES = ("execute", "review", "test", "recover", "discussion", "approval")
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
FUTURE_DAYS = 400  # an activity may be dated up to this far ahead (clock skew, scheduled work); its month is made


class ActivityRecord(Command):
    """One activity (§4.6); ``actual_cost``/``estimated_cost`` omitted = unknown (kept NULL, never 0)."""

    task_id: Ref
    agent_runtime_id: AgentId
    activity_type: ActivityType = "prompt"
    result_status: ResultStatus = "success"
    started_at: datetime | None = None
    ended_at: datetime | None = None
    duration_ms: Millis | None = None
    prompt_tokens: Tokens | None = None
    completion_tokens: Tokens | None = None
    cached_tokens: Tokens | None = None
    total_tokens: Tokens | None = None
    estimated_cost: Cost | None = None
    actual_cost: Cost | None = None
    provider: Ref | None = None
    model: Ref | None = None
    auth_mode: AuthMode | None = None
    session_id: Ref | None = None
    execution_surface_id: Ref | None = None
    input_ref: ShortText | None = None
    output_ref: ShortText | None = None
    artifact_refs: Annotated[list[ShortText], Field(max_length=100)] = []
    error_code: Ref | None = None
    error_message: ShortText | None = None
    retryable: bool = False
    evaluation_ref: Ref | None = None
    metadata_ref: Ref | None = None
    claim_token: int | None = None

    @model_validator(mode="after")
    def _consistent(self) -> ActivityRecord:
        for name in ("started_at", "ended_at"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                raise ValueError(f"{name} needs a time zone (e.g. 2026-12-03T10:00:00Z)")
        if self.started_at and self.ended_at and self.ended_at < self.started_at:
            raise ValueError("ended_at is before started_at")
        if self.started_at is not None:
            now = datetime.now(UTC)
            if not EARLIEST <= self.started_at <= now + timedelta(days=FUTURE_DAYS):
                raise ValueError(f"started_at {self.started_at.isoformat()} is outside 2000-01-01 .. {FUTURE_DAYS} days ahead")
        return self

    def duration(self) -> int | None:
        """duration_ms as given, else from started_at/ended_at."""
        if self.duration_ms is not None:
            return self.duration_ms
        if self.started_at and self.ended_at:
            return int((self.ended_at - self.started_at).total_seconds() * 1000)
        return None

    def tokens(self) -> int | None:
        if self.total_tokens is not None:
            return self.total_tokens
        parts = [t for t in (self.prompt_tokens, self.completion_tokens) if t is not None]
        return sum(parts) if parts else None


class ActivityComplete(Command):
    """The controlled completion update of an open activity (the only change an activity takes)."""

    activity_id: Ref
    ended_at: datetime | None = None
    result_status: ResultStatus = "success"
    duration_ms: Millis | None = None
    output_ref: ShortText | None = None
    artifact_refs: Annotated[list[ShortText], Field(max_length=100)] | None = None
    error_code: Ref | None = None
    error_message: ShortText | None = None
    retryable: bool | None = None


class EvaluationCreate(Command):
    """§4.6.1 + §16.2: attached to an activity, never changing it."""

    activity_id: Ref
    reviewer_type: ReviewerType = "agent"
    reviewer_id: AgentId | None = None
    success: bool | None = None
    score: Fraction | None = None
    confidence: Fraction | None = None
    findings: Notes = []
    corrections: Notes = []
    recommended_next_action: ShortText | None = None
    quality_notes: ShortText | None = None
    failure_reason: ShortText | None = None
    retry_recommended: bool | None = None
    human_correction_required: bool | None = None


class BudgetSet(Command):
    """§7.6 limits; on a task only ``plan_cost`` and ``cost_cap`` apply (its cap is its hard limit)."""

    kind: BudgetKind
    id: Ref
    plan_cost: Cost | None = None
    soft_limit: Cost | None = None
    hard_limit: Cost | None = None
    warning_threshold_pct: Pct | None = None
    cost_cap: Cost | None = None
    actor: AgentId | None = None

    @model_validator(mode="after")
    def _fits(self) -> BudgetSet:
        if self.kind == "task" and any(v is not None for v in (self.soft_limit, self.hard_limit, self.warning_threshold_pct)):
            raise ValueError("a task's budget is plan_cost and cost_cap (its hard limit); soft_limit, hard_limit and "
                             "warning_threshold_pct are for projects, sprints and tickets")
        if self.kind != "task" and self.cost_cap is not None:
            raise ValueError("cost_cap is a task's; use hard_limit for a project, sprint or ticket")
        if self.soft_limit is not None and self.hard_limit is not None and self.soft_limit > self.hard_limit:
            raise ValueError("soft_limit is above hard_limit")
        return self


class TimeRange(BaseModel):
    """A created_at range (both ends required by the queries, so partitions are pruned)."""

    model_config = ConfigDict(frozen=True)
    start: datetime
    end: datetime


class View(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Rollup(View):
    """Maintained totals of one level (task, ticket, sprint or project) with plan vs actual (§7.4, §8.3)."""

    kind: str
    id: str
    actual_cost: Decimal
    cost_incomplete: bool
    plan_cost: Decimal | None = None
    cost_variance: Decimal | None = None
    cost_variance_pct: float | None = None
    budget_status: str


class ActivityOut(View):
    id: str
    task_id: str
    sequence: int
    activity_type: str
    result_status: str
    started_at: datetime
    ended_at: datetime | None
    duration_ms: int | None
    prompt_tokens: int | None
    completion_tokens: int | None
    cached_tokens: int | None
    total_tokens: int | None
    estimated_cost: Decimal | None
    actual_cost: Decimal | None
    created_at: datetime
    rollups: list[Rollup] = []
    paused_for_budget: bool = False
    note: str = ""


class ActivityRecorded(View):  # record_activity's answer (no docstring: it would be in every agent's tools/list)
    id: str
    sequence: int
    task_actual_cost: Annotated[Decimal, WithJsonSchema({"type": "string"})]
    cost_incomplete: bool
    budget_status: str
    paused_for_budget: bool
    note: str


class BatchOut(View):
    recorded: int
    activity_ids: list[str]
    rollups: list[Rollup]
    paused_for_budget: list[str] = []
    note: str = ""


class EvaluationOut(View):
    id: str
    activity_id: str
    reviewer_type: str
    success: bool | None
    score: float | None
    findings: list[str]
    corrections: list[str]
    recommended_next_action: str | None
    created_at: datetime


class BudgetOut(Rollup):
    soft_limit: Decimal | None = None
    hard_limit: Decimal | None = None
    warning_threshold_pct: Decimal | None = None
    cost_cap: Decimal | None = None


def variance(actual: Decimal, plan: Decimal | None) -> tuple[Decimal | None, float | None]:
    """(actual - plan, that as % of plan); None where the plan is unknown (pct also when it is 0)."""
    if plan is None:
        return None, None
    diff = actual - plan
    return diff, (float(diff / plan * 100) if plan else None)


def crossed(before: Decimal, after: Decimal, limit: Decimal | None) -> bool:
    """Whether this addition took the total over ``limit`` (it was at or under it before)."""
    return limit is not None and before <= limit < after
