"""Tables of Escalation Requests (§4.11, lifecycle §5.5.5) and Human Decisions (§4.12, immutable: §5.5.6)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Text
from sqlmodel import Field

from odm.domain.models._columns import Metadata, generated_status_state, string, text_array, timestamp

__all__ = ["OPEN_ESCALATION_PREDICATE", "EscalationRequest", "HumanDecision"]

# An escalation still waiting for a human (what the Bus feed calls "pending"); the partial indexes repeat it.
OPEN_ESCALATION_PREDICATE = "state IN ('queued', 'waiting', 'active')"


class EscalationRequest(Metadata, table=True):
    __tablename__ = "escalation_requests"
    __table_args__ = (
        Index("escalation_requests_status_state", "status_state", "created_at"),
        Index("escalation_requests_task", "task_id"),
        Index("escalation_requests_created", "created_at"),
        Index("escalation_requests_one_open_per_task", "task_id", unique=True, postgresql_where=OPEN_ESCALATION_PREDICATE),
        Index("escalation_requests_due", "due_at", postgresql_where=f"due_at IS NOT NULL AND {OPEN_ESCALATION_PREDICATE}"),
    )

    id: str = string(nullable=False, primary_key=True)
    agent_runtime_id: str | None = string()
    session_id: str | None = string()
    ticket_id: str | None = Field(default=None, sa_type=Text, foreign_key="tickets.id")
    task_id: str | None = Field(default=None, sa_type=Text, foreign_key="tasks.id")
    activity_id: str | None = string()
    trigger_type: str = string(nullable=False)
    urgency: str = string(nullable=False, default="normal")
    summary: str = string(nullable=False)
    questions: list[str] = text_array()
    options: list[str] = text_array()
    recommended_option: str | None = string()
    context_bundle_ref: str | None = string()
    allowed_decisions: list[str] = text_array()
    task_resume_from: str | None = string()  # the task's pair when it was escalated
    due_at: datetime | None = timestamp()
    status: str = string(nullable=False)
    state: str = string(nullable=False)
    status_state: str | None = generated_status_state()
    resolved_at: datetime | None = timestamp()


class HumanDecision(Metadata, table=True):
    __tablename__ = "human_decisions"
    __table_args__ = (
        Index("human_decisions_escalation", "escalation_request_id", "created_at"),
        Index("human_decisions_created", "created_at"),
        Index("human_decisions_task", "applies_to_task_id"),
        # one deciding answer per escalation (postponements may come before it)
        Index("human_decisions_one_final", "escalation_request_id", unique=True,
              postgresql_where="decision_type <> 'postpone'"),
    )

    id: str = string(nullable=False, primary_key=True)
    escalation_request_id: str = Field(sa_type=Text, foreign_key="escalation_requests.id", nullable=False)
    decision_type: str = string(nullable=False)
    selected_option: str | None = string()
    message: str | None = string()
    constraints: list[str] = text_array()
    applies_to_runtime_id: str | None = string()
    applies_to_task_id: str | None = string()
    task_resumed_to: str | None = string()
    postponed_until: datetime | None = timestamp()
    created_by: str = string(nullable=False)  # who decided: a decision always names its human
