"""What the execution use cases answer (templates, surfaces, runtimes, sessions, interventions, heartbeats)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field, model_validator

from odm.domain.execution import CostProfile, SpawnPolicy, TranscriptRef
from odm.domain.views import Lifecycled, View

__all__ = ["Interventions", "InterventionOut", "RuntimeBrief", "RuntimeHeartbeat", "RuntimeOut", "SessionOut",
           "SpentOut", "SurfaceOut", "TemplateBrief", "TemplateOut"]


class TemplateBrief(Lifecycled):
    agent_id: str
    version: int
    name: str
    is_master: bool
    roles: list[str]
    latest: bool = True


class TemplateOut(TemplateBrief):
    description: str
    topics: list[str]
    responsibilities: list[str]
    allowed_tools: list[str]
    required_skills: list[str]
    default_provider: str | None
    default_model: str | None
    default_auth_method: str | None
    default_auth_account: str | None
    execution_modes: list[str]
    spawn_policy: SpawnPolicy
    cost_profile: CostProfile
    source_ref: str | None
    created_at: datetime
    note: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _nest(cls, row: Any) -> Any:
        if isinstance(row, dict) and "spawn_policy" not in row:
            row = dict(row)
            row["spawn_policy"] = {k: row.get(k) for k in ("parent_required", "max_children", "max_parallel_runs")}
            cost = row.get("max_cost_per_run")
            row["cost_profile"] = {"priority": row.get("cost_priority", "normal"),
                                   "max_cost_per_run": None if cost is None else float(cost),
                                   "preferred_cost_tier": row.get("preferred_cost_tier")}
        return row


class SurfaceOut(Lifecycled):
    name: str
    type: str
    provider: str
    auth_mode: str
    node_id: str | None
    endpoint_ref: str | None
    workspace_ref: str | None
    supports_headless: bool
    supports_rc: bool
    supports_resume: bool
    supports_mcp: bool


class SpentOut(View):
    """Roll-up of the activities recorded under a runtime or session: exact decimals; incomplete = a cost unknown."""

    activity_count: int
    actual_cost: Decimal
    cost_incomplete: bool
    actual_duration_ms: int


class RuntimeBrief(Lifecycled):
    agent_id: str
    agent_template_id: str
    runtime_kind: str
    health_state: str
    parent_runtime_id: str | None
    current_session_id: str | None
    last_heartbeat_at: datetime | None


class InterventionOut(View):
    id: str
    scope_type: str
    scope_ref: str
    mode: str = Field(description="pause | resume | constrain | reroute | revoke")
    reason: str
    issued_by: str
    initiated_by: str | None = None
    params: dict[str, Any] | None = None
    revokes_id: str | None
    effective_from: datetime
    effective_until: datetime | None
    in_effect: bool = False
    revoked_by_id: str | None = None
    effects: list[str] = []

    @model_validator(mode="before")
    @classmethod
    def _from_row(cls, row: Any) -> Any:
        if isinstance(row, dict) and "override_type" in row:
            row = dict(row)
            params = dict(row.get("override_params") or {})
            row["mode"], row["initiated_by"] = row["override_type"], params.pop("initiated_by", None)
            row["params"] = params or None
        return row


class Interventions(View):
    in_effect: list[InterventionOut]


class RuntimeOut(RuntimeBrief):
    root_runtime_id: str | None
    orchestrator_id: str | None
    assigned_ticket_id: str | None
    assigned_task_id: str | None
    current_goal: str | None
    execution_surface_id: str | None
    provider: str | None
    model: str | None
    auth_method: str | None
    auth_account: str | None
    api_key_ref: str | None
    litellm_model_id: str | None
    host_id: str | None
    started_at: datetime | None
    ended_at: datetime | None
    last_error: str | None
    recoverable: bool
    stored_health: str | None = Field(default=None, description="health as last set; health_state adds silence")
    spent: SpentOut | None = None
    children: list[str] = []
    sessions: list[str] = Field(default=[], description="its sessions, newest first (at most 50)")
    interventions: list[InterventionOut] = []
    claimed_task_ids: list[str] = []
    note: str | None = None


class SessionOut(Lifecycled):
    agent_runtime_id: str
    execution_surface_id: str
    external_session_ref: str | None
    external_thread_ref: str | None
    opened_by: str | None
    context_snapshot_ref: str | None
    transcript: TranscriptRef | None = None
    checkpoint_ref: str | None
    last_checkpoint_at: datetime | None
    last_activity_at: datetime | None
    resumable: bool
    rc_attachable: bool
    crash_count: int
    last_error: str | None
    closed_at: datetime | None
    created_at: datetime
    spent: SpentOut | None = None
    interventions: list[InterventionOut] = []
    effects: list[str] = []
    note: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _transcript(cls, row: Any) -> Any:
        if isinstance(row, dict) and "transcript" not in row and row.get("transcript_ref"):
            row = dict(row)
            row["transcript"] = {"uri": row["transcript_ref"], "sha256": row["transcript_sha256"],
                                 "bytes": row["transcript_bytes"]}
        return row


class RuntimeHeartbeat(BaseModel):
    """What the Bus's heartbeat learns from the ODM: the claims renewed and the runtime's health (if it has one)."""

    agent_id: str
    task_ids: list[str]
    runtime_id: str | None = None
    health_state: str | None = None
    status_state: str | None = None
