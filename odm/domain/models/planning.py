"""Tables of ideas, discussion threads and their many-to-many link (§4.3A, §4.3B)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Text
from sqlmodel import Field, SQLModel

from odm.domain.models._columns import Metadata, generated_status_state, search_column, string, text_array, timestamp

__all__ = ["DiscussionThread", "Idea", "IdeaThread"]


class Idea(Metadata, table=True):
    """``source_ref`` and ``tags`` are the metadata columns of the same names."""

    __tablename__ = "ideas"
    __table_args__ = (
        Index("ideas_status_review", "status_state", "next_review_at"),
        Index("ideas_search", "search", postgresql_using="gin"),
    )

    id: str = string(nullable=False, primary_key=True)
    title: str = string(nullable=False)
    description: str = string(nullable=False, default="")
    topic_id: str | None = Field(default=None, sa_type=Text, foreign_key="topics.id")
    source: str = string(nullable=False, default="user")  # user | agent | dream | research | discussion | external
    raised_by_user_id: str | None = Field(default=None, sa_type=Text, foreign_key="users.id")
    raised_by_agent_id: str | None = string()
    status: str = string(nullable=False)
    state: str = string(nullable=False)
    status_state: str | None = generated_status_state()
    ticket_id: str | None = Field(default=None, sa_type=Text, foreign_key="tickets.id")
    last_reviewed_at: datetime | None = timestamp()
    next_review_at: datetime | None = timestamp()
    review_cycle: str | None = string()  # weekly | monthly | quarterly | on_demand
    priority: str | None = string()
    context: str | None = string()
    search: str | None = search_column(
        "to_tsvector('english'::regconfig, title || ' ' || description || ' ' || coalesce(context, ''))"
    )


class DiscussionThread(Metadata, table=True):
    __tablename__ = "discussion_threads"
    __table_args__ = (
        Index("discussion_threads_project", "project_id", "status_state"),
        Index("discussion_threads_search", "search", postgresql_using="gin"),
    )

    id: str = string(nullable=False, primary_key=True)
    project_id: str | None = Field(default=None, sa_type=Text, foreign_key="projects.id")
    topic_ids: list[str] = text_array()
    title: str | None = string()
    summary: str | None = string()
    thread_type: str = string(nullable=False)  # intake | clarification | design | review | recovery | research
    opened_by: str = string(nullable=False)
    participants: list[str] = text_array()
    source_channel: str | None = string()  # ui | rc | cli | api | imported
    linked_ticket_id: str | None = Field(default=None, sa_type=Text, foreign_key="tickets.id")
    linked_task_id: str | None = Field(default=None, sa_type=Text, foreign_key="tasks.id")
    linked_session_id: str | None = string()
    status: str = string(nullable=False)
    state: str = string(nullable=False)
    status_state: str | None = generated_status_state()
    transcript_ref: str | None = string()
    context_bundle_ref: str | None = string()
    closed_at: datetime | None = timestamp()
    search: str | None = search_column("to_tsvector('english'::regconfig, coalesce(title, '') || ' ' || coalesce(summary, ''))")


class IdeaThread(SQLModel, table=True):
    __tablename__ = "idea_threads"
    __table_args__ = (Index("idea_threads_thread", "thread_id"),)

    idea_id: str = Field(sa_type=Text, foreign_key="ideas.id", primary_key=True)
    thread_id: str = Field(sa_type=Text, foreign_key="discussion_threads.id", primary_key=True)
