"""Tables of who works and where: Agent Templates (§4.7, versioned, append-only), Agent Runtimes (§4.8), Execution
Surfaces (§4.9) and Sessions (§4.10); revision c003 holds the same DDL."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, Text
from sqlmodel import Field

from odm.domain.models._columns import Metadata, counter, generated_status_state, generated_text, money, string, text_array, timestamp

__all__ = ["LIVE_RUNTIME_PREDICATE", "AgentRuntime", "AgentTemplate", "ExecutionSurface", "Session"]

# a runtime that still counts against spawn limits (not finished, failed or archived)
LIVE_RUNTIME_PREDICATE = "status NOT IN ('complete', 'archive') AND status_state <> 'recover.failed'"


def _int() -> Any:
    return Field(default=None, sa_type=Integer, nullable=True)


class AgentTemplate(Metadata, table=True):
    __tablename__ = "agent_templates"
    __table_args__ = (
        Index("agent_templates_version", "agent_id", "version", unique=True),
        Index("agent_templates_one_master", "version", unique=True, postgresql_where="is_master"),
    )

    id: str = string(nullable=False, primary_key=True)
    agent_id: str = string(nullable=False)
    version: int = Field(sa_type=Integer, nullable=False)
    name: str = string(nullable=False)
    roles: list[str] = text_array()
    is_master: bool = False
    description: str = string(nullable=False, default="")
    topics: list[str] = text_array()
    responsibilities: list[str] = text_array()
    allowed_tools: list[str] = text_array()
    required_skills: list[str] = text_array()
    default_provider: str | None = string()
    default_model: str | None = string()
    default_auth_method: str | None = string()
    default_auth_account: str | None = string()
    execution_modes: list[str] = text_array()
    parent_required: bool = False
    max_children: int | None = _int()
    max_parallel_runs: int | None = _int()
    cost_priority: str = string(nullable=False, default="normal")
    max_cost_per_run: Decimal | None = money()
    preferred_cost_tier: str | None = string()
    status: str = string(nullable=False, default="ready")
    state: str = string(nullable=False, default="ready")
    status_state: str | None = generated_status_state()


class ExecutionSurface(Metadata, table=True):
    __tablename__ = "execution_surfaces"

    id: str = string(nullable=False, primary_key=True)
    name: str = string(nullable=False, unique=True)
    type: str = string(nullable=False)
    provider: str = string(nullable=False)
    node_id: str | None = string()
    auth_mode: str = string(nullable=False)
    endpoint_ref: str | None = string()
    workspace_ref: str | None = string()
    supports_headless: bool = False
    supports_rc: bool = False
    supports_resume: bool = False
    supports_mcp: bool = False
    status: str = string(nullable=False, default="ready")
    state: str = string(nullable=False, default="ready")
    status_state: str | None = generated_status_state()


class AgentRuntime(Metadata, table=True):
    __tablename__ = "agent_runtimes"
    __table_args__ = (
        Index("agent_runtimes_parent", "parent_runtime_id", postgresql_where=LIVE_RUNTIME_PREDICATE),
        Index("agent_runtimes_template", "agent_template_id"),
        Index("agent_runtimes_health", "health_state", "id"),
    )

    id: str = string(nullable=False, primary_key=True)  # the agent id: bus.agent_registry.id (§19.3)
    agent_id: str | None = generated_text("id")
    agent_template_id: str = Field(sa_type=Text, nullable=False, foreign_key="agent_templates.id")
    runtime_kind: str = string(nullable=False)
    parent_runtime_id: str | None = Field(default=None, sa_type=Text, foreign_key="agent_runtimes.id")
    root_runtime_id: str | None = string()
    orchestrator_id: str | None = string()
    assigned_ticket_id: str | None = string()
    assigned_task_id: str | None = string()
    current_goal: str | None = string()
    execution_surface_id: str | None = Field(default=None, sa_type=Text, foreign_key="execution_surfaces.id")
    current_session_id: str | None = string()
    provider: str | None = string()
    model: str | None = string()
    auth_method: str | None = string()
    auth_account: str | None = string()
    api_key_ref: str | None = string()
    litellm_model_id: str | None = string()
    host_id: str | None = string()
    status: str = string(nullable=False)
    state: str = string(nullable=False)
    status_state: str | None = generated_status_state()
    health_state: str = string(nullable=False, default="healthy")
    last_heartbeat_at: datetime | None = timestamp()
    started_at: datetime | None = timestamp()
    ended_at: datetime | None = timestamp()
    last_error: str | None = string()
    recoverable: bool = True


class Session(Metadata, table=True):
    __tablename__ = "sessions"
    __table_args__ = (Index("sessions_runtime", "agent_runtime_id", "created_at"),)

    id: str = string(nullable=False, primary_key=True)
    agent_runtime_id: str = Field(sa_type=Text, nullable=False, foreign_key="agent_runtimes.id")
    execution_surface_id: str = Field(sa_type=Text, nullable=False, foreign_key="execution_surfaces.id")
    external_session_ref: str | None = string()
    external_thread_ref: str | None = string()
    status: str = string(nullable=False)
    state: str = string(nullable=False)
    status_state: str | None = generated_status_state()
    opened_by: str | None = string()
    context_snapshot_ref: str | None = string()
    transcript_ref: str | None = string()
    transcript_sha256: str | None = string()
    transcript_bytes: int | None = Field(default=None, sa_type=BigInteger, nullable=True)
    checkpoint_ref: str | None = string()
    last_checkpoint_at: datetime | None = timestamp()
    last_activity_at: datetime | None = timestamp()
    resumable: bool = False
    rc_attachable: bool = False
    crash_count: int = counter()
    last_error: str | None = string()
    closed_at: datetime | None = timestamp()
