"""Tables of research tasks (§4.12B), knowledge objects (§4.13, content by reference §14.3) and the scheduler (§15)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, DateTime, Index, Text, text
from sqlmodel import Field, SQLModel

from odm.domain.models._columns import (
    Metadata,
    counter,
    generated_status_state,
    now_column,
    search_column,
    string,
    text_array,
    timestamp,
)

__all__ = ["KnowledgeObject", "ResearchTask", "Schedule", "ScheduleOccurrence"]


class ResearchTask(Metadata, table=True):
    __tablename__ = "research_tasks"
    __table_args__ = (
        Index("research_tasks_status_state", "status_state", "id"),
        Index("research_tasks_search", "search", postgresql_using="gin"),
    )

    id: str = string(nullable=False, primary_key=True)
    project_id: str | None = Field(default=None, sa_type=Text, foreign_key="projects.id")
    ticket_id: str | None = Field(default=None, sa_type=Text, foreign_key="tickets.id")
    parent_task_id: str | None = Field(default=None, sa_type=Text, foreign_key="tasks.id")
    name: str = string(nullable=False)
    objective: str = string(nullable=False)
    topic_ids: list[str] = text_array()
    source_classes: list[str] = text_array()
    output_type: str = string(nullable=False)
    review_required: bool = Field(default=False, nullable=False, sa_column_kwargs={"server_default": text("false")})
    owner_runtime_id: str | None = string()
    recurrence: str | None = string()
    destination_refs: list[str] = text_array()
    latest_output_ref: str | None = string()
    latest_output_sha256: str | None = string()
    latest_output_size: int | None = Field(default=None, sa_type=BigInteger, nullable=True)
    latest_output_summary: str | None = string()
    output_count: int = counter()
    status: str = string(nullable=False)
    state: str = string(nullable=False)
    status_state: str | None = generated_status_state()
    completed_at: datetime | None = timestamp()
    search: str | None = search_column(
        "to_tsvector('english'::regconfig, name || ' ' || objective || ' ' || coalesce(latest_output_summary, ''))"
    )


class KnowledgeObject(Metadata, table=True):
    __tablename__ = "knowledge_objects"
    __table_args__ = (
        Index("knowledge_objects_status_state", "status_state", "id"),
        Index("knowledge_objects_search", "search", postgresql_using="gin"),
        Index("knowledge_objects_research", "research_task_id"),
    )

    id: str = string(nullable=False, primary_key=True)
    type: str = string(nullable=False)
    title: str = string(nullable=False)
    summary: str = string(nullable=False, default="")
    topics: list[str] = text_array()
    source: str = string(nullable=False)
    content_ref: str | None = string()  # where the content lives; NULL only for a small inline_body
    content_sha256: str = string(nullable=False)
    content_size: int = Field(sa_type=BigInteger, nullable=False)
    content_type: str | None = string()
    inline_body: str | None = string()  # at most 4096 bytes (a CHECK)
    version: str = string(nullable=False, default="1")
    research_task_id: str | None = Field(default=None, sa_type=Text, foreign_key="research_tasks.id")
    status: str = string(nullable=False)
    state: str = string(nullable=False)
    status_state: str | None = generated_status_state()
    search: str | None = search_column(
        "to_tsvector('english'::regconfig, title || ' ' || summary || ' ' || coalesce(inline_body, ''))"
    )


ACTIVE_DUE = "status = 'active' AND next_due_at IS NOT NULL"


class Schedule(Metadata, table=True):
    __tablename__ = "schedules"
    __table_args__ = (
        Index("schedules_due", "next_due_at", "id", postgresql_where=ACTIVE_DUE),
        Index("schedules_task", "task_id"),
        Index("schedules_research_task", "research_task_id"),
        Index("schedules_event", "dependency_event", postgresql_where="status = 'active' AND mode = 'event_driven'"),
    )

    id: str = string(nullable=False, primary_key=True)
    task_id: str | None = Field(default=None, sa_type=Text, foreign_key="tasks.id")
    research_task_id: str | None = Field(default=None, sa_type=Text, foreign_key="research_tasks.id")
    mode: str = string(nullable=False)
    run_at: datetime | None = timestamp()
    cron_expr: str | None = string()
    timezone: str = string(nullable=False, default="UTC")
    dependency_event: str | None = string()
    idle_policy_id: str | None = string()
    max_delay_sec: int | None = Field(default=None, nullable=True)
    status: str = string(nullable=False, default="active")
    next_due_at: datetime | None = timestamp()
    last_due_at: datetime | None = timestamp()
    handed_count: int = counter()
    missed_count: int = counter()
    cancel_reason: str | None = string()


class ScheduleOccurrence(SQLModel, table=True):
    """One due occurrence handed to one orchestrator (append-only); the key makes a second hand-out impossible."""

    __tablename__ = "schedule_occurrences"
    __table_args__ = (Index("schedule_occurrences_handed", "handed_at"),)

    schedule_id: str = Field(sa_type=Text, foreign_key="schedules.id", primary_key=True)
    due_at: datetime = Field(sa_column=Column(DateTime(timezone=True), primary_key=True))
    handed_to: str | None = string()
    handed_at: datetime = now_column()
    missed: int = counter()
