"""Who works and where (§4.7–4.10, §10.5): value types, commands and the health rule of agent runtimes.

Health (§4.8 ``health_state``) is stored where something said so (a recovery, a block, a failure) and computed
on read from ``last_heartbeat_at`` for a live runtime that is otherwise healthy: silent for
``runtime_degraded_after_s`` (default 90 s, the Bus's stale threshold) it reads ``degraded``; for
``runtime_failed_after_s`` (300 s, the Bus's offline threshold) ``failed``. Computed on read (one SQL expression,
``odm.store.execution.HEALTH``, so lists can filter by it), it needs no timer and cannot drift from the heartbeats.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, WithJsonSchema

from odm.domain.commands import Command
from odm.domain.types import Cost, ExecutionMode, IdemKey, LongText, Name, Priority, Ref, ShortText

__all__ = [
    "AGENT_ID", "LIVE_STATUSES", "AgentNumber", "AuthMethod", "CostProfile", "CostTier", "HealthState", "InterventionCreate",
    "InterventionMode", "Role", "RuntimeKind", "RuntimeMove", "RuntimeSpawn", "SessionMove", "SessionOpen", "Sha256",
    "SpawnPolicy", "SurfaceAuth", "SurfaceCreate", "SurfaceType", "TemplateCreate", "TranscriptRef",
]

AGENT_ID = r"^[0-9]{3}$"
AgentNumber = Annotated[str, StringConstraints(strip_whitespace=True, pattern=AGENT_ID), WithJsonSchema(
    {"type": "string", "description": "3-digit agent id, e.g. 101 (the Bus agent id)"})]
Role = Literal["orchestrator", "governor", "rule_steward", "prompt_steward", "module_steward", "specialist", "worker",
               "interface"]
AuthMethod = Literal["oauth", "api_key", "litellm"]
CostTier = Literal["economy", "standard", "premium"]
RuntimeKind = Literal["orchestrator", "specialist", "worker", "interface", "system"]
HealthState = Literal["healthy", "degraded", "blocked", "failed", "recovering"]
SurfaceType = Literal["claude_code", "codex", "gemini_cli", "custom_cli", "api_worker", "local_model", "web_fallback"]
SurfaceAuth = Literal["subscription", "api_key", "hybrid"]
InterventionMode = Literal["pause", "resume", "constrain", "reroute"]
Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
Uri = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000,
                                       pattern=r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")]
Names = Annotated[list[Ref], Field(max_length=100)]
Count = Annotated[int, Field(ge=0, le=10000)]

# a runtime in these statuses is live: it counts against spawn limits and its silence degrades its health
LIVE_STATUSES = ("create", "ready", "execute", "discussion", "recover")


class SpawnPolicy(BaseModel):
    """§4.7 spawn_policy: limits checked when a runtime is spawned."""

    model_config = ConfigDict(extra="forbid")
    parent_required: bool = False
    max_children: Count | None = Field(default=None, description="live children a runtime of this template may have")
    max_parallel_runs: Annotated[int, Field(ge=1, le=10000)] | None = Field(
        default=None, description="live runtimes of this template at once")


class CostProfile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    priority: Priority = "normal"
    max_cost_per_run: Cost | None = None
    preferred_cost_tier: CostTier | None = None


class TranscriptRef(BaseModel):
    """A transcript by reference (§14.3): where it is, its SHA-256 and size; never the body."""

    model_config = ConfigDict(extra="forbid")
    uri: Uri
    sha256: Sha256
    bytes: Annotated[int, Field(ge=0)]


class TemplateCreate(Command):
    agent_id: AgentNumber
    name: Name
    roles: Annotated[list[Role], Field(min_length=1, max_length=8)]
    is_master: bool = False
    previous_version: Annotated[int, Field(ge=1)] | None = None
    description: LongText = ""
    topics: Names = []
    responsibilities: Annotated[list[ShortText], Field(max_length=50)] = []
    allowed_tools: Names = []
    required_skills: Names = []
    default_provider: Ref | None = None
    default_model: Ref | None = None
    default_auth_method: AuthMethod | None = None
    default_auth_account: Ref | None = None
    execution_modes: Annotated[list[ExecutionMode], Field(max_length=5)] = []
    spawn_policy: SpawnPolicy = SpawnPolicy()
    cost_profile: CostProfile = CostProfile()
    source_ref: ShortText | None = None
    idempotency_key: IdemKey | None = None


class SurfaceCreate(Command):
    name: Name
    type: SurfaceType
    provider: Ref
    auth_mode: SurfaceAuth
    node_id: Ref | None = None
    endpoint_ref: ShortText | None = None
    workspace_ref: ShortText | None = None
    supports_headless: bool = False
    supports_rc: bool = False
    supports_resume: bool = False
    supports_mcp: bool = False


class RuntimeSpawn(Command):
    agent_id: AgentNumber
    template: AgentNumber
    template_version: Annotated[int, Field(ge=1)] | None = None
    runtime_kind: RuntimeKind | None = None
    parent_runtime_id: AgentNumber | None = None
    execution_surface_id: Ref | None = None
    assigned_ticket_id: Ref | None = None
    assigned_task_id: Ref | None = None
    current_goal: ShortText | None = None
    provider: Ref | None = None
    model: Ref | None = None
    auth_method: AuthMethod | None = None
    auth_account: Ref | None = None
    api_key_ref: Ref | None = None
    litellm_model_id: Ref | None = None
    host_id: Ref | None = None
    idempotency_key: IdemKey | None = None


class RuntimeMove(Command):
    runtime_id: AgentNumber
    to: Ref
    last_error: ShortText | None = None
    recoverable: bool | None = None
    model: Ref | None = None
    execution_surface_id: Ref | None = None


class SessionOpen(Command):
    runtime_id: AgentNumber
    execution_surface_id: Ref
    external_session_ref: ShortText | None = None
    external_thread_ref: ShortText | None = None
    opened_by: Ref | None = None
    context_snapshot_ref: Uri | None = None
    resumable: bool | None = None
    rc_attachable: bool | None = None
    idempotency_key: IdemKey | None = None


class SessionMove(Command):
    session_id: Ref
    to: Ref
    reason: ShortText | None = None
    transcript: TranscriptRef | None = None
    checkpoint_ref: Uri | None = None


class InterventionCreate(Command):
    scope_type: Literal["agent_runtime", "session"]
    scope_ref: Ref
    mode: InterventionMode | None = None
    revokes: Ref | None = None
    reason: ShortText
    initiated_by: Literal["system", "orchestrator", "governor", "human"] = "orchestrator"
    issued_by: Ref | None = None
    effective_from: datetime | None = None
    effective_until: datetime | None = None
    constraints: Annotated[list[ShortText], Field(max_length=20)] = []
    model: Ref | None = None
    execution_surface_id: Ref | None = None

