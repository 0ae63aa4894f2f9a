"""odm-mcp Execution toolset: who works and where. Agent templates, execution surfaces, runtimes (spawn, lifecycle),
sessions (open, lifecycle with crash recovery and transcripts by reference) and runtime interventions (§10.5).
Reads are resources: odm://templates, odm://templates/{agent_id}, odm://runtimes, odm://runtimes/{id},
odm://sessions/{id}."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from mcp.server.mcpserver import Context
from pydantic import Field

from odm.domain.execution import (
    AgentNumber,
    AuthMethod,
    CostProfile,
    InterventionCreate,
    InterventionMode,
    Role,
    RuntimeKind,
    RuntimeMove,
    RuntimeSpawn,
    SessionMove,
    SessionOpen,
    SpawnPolicy,
    SurfaceAuth,
    SurfaceCreate,
    SurfaceType,
    TemplateCreate,
    TranscriptRef,
)
from odm.domain.execution_views import InterventionOut, RuntimeOut, SessionOut, SurfaceOut, TemplateOut
from odm.domain.types import ExecutionMode, IdemKey, LongText, Name, Ref, ShortText
from odm.services import interventions, runtimes, sessions, surfaces, templates
from servers.app import ToolGroup
from servers.odm._context import Refs, given, services

__all__ = ["create_agent_template", "intervene", "open_session", "register_surface", "spawn_runtime",
           "transition_runtime", "transition_session"]

tools = ToolGroup()
EXEC = "execution"
Version = Annotated[int, Field(ge=1)]
Texts = Annotated[list[ShortText], Field(max_length=50)]


@tools.tool(EXEC, title="Create agent template", read_only=False, destructive=False, idempotent=False,
            open_world=False, scope="management")
async def create_agent_template(ctx: Context, agent_id: AgentNumber, name: Name, roles: Annotated[list[Role], Field(
                                    min_length=1, max_length=8)], is_master: bool = False,
                                previous_version: Version | None = None, description: LongText = "", topics: Refs = [],
                                responsibilities: Texts = [], allowed_tools: Refs = [], required_skills: Refs = [],
                                default_provider: Ref | None = None, default_model: Ref | None = None,
                                default_auth_method: AuthMethod | None = None, default_auth_account: Ref | None = None,
                                execution_modes: Annotated[list[ExecutionMode], Field(max_length=5)] = [],
                                spawn_policy: SpawnPolicy | None = None, cost_profile: CostProfile | None = None,
                                source_ref: ShortText | None = None, idempotency_key: IdemKey | None = None) -> TemplateOut:
    """Publish an agent template (§4.7) as version 1, or its next version (previous_version = the latest): versions are
    never rewritten. Only agent 000 is the master. Errors: [invalid_argument], [conflict] (a second master, a stale
    previous_version)."""
    return await templates.create_template(services(ctx), TemplateCreate(**given(
        agent_id=agent_id, name=name, roles=roles, is_master=is_master, previous_version=previous_version,
        description=description, topics=topics, responsibilities=responsibilities, allowed_tools=allowed_tools,
        required_skills=required_skills, default_provider=default_provider, default_model=default_model,
        default_auth_method=default_auth_method, default_auth_account=default_auth_account,
        execution_modes=execution_modes, spawn_policy=spawn_policy, cost_profile=cost_profile, source_ref=source_ref,
        idempotency_key=idempotency_key)))


@tools.tool(EXEC, title="Register execution surface", read_only=False, destructive=False, idempotent=True,
            open_world=False, scope="management")
async def register_surface(ctx: Context, name: Name, type: SurfaceType, provider: Ref, auth_mode: SurfaceAuth,
                           node_id: Ref | None = None, endpoint_ref: ShortText | None = None,
                           workspace_ref: ShortText | None = None, supports_headless: bool = False,
                           supports_rc: bool = False, supports_resume: bool = False,
                           supports_mcp: bool = False) -> SurfaceOut:
    """Register where runtimes execute (§4.9: Claude Code, Codex, an API worker, ...); the same name returns the surface
    registered under it. Errors: [conflict] the name is taken by a different surface."""
    return await surfaces.register_surface(services(ctx), SurfaceCreate(**given(
        name=name, type=type, provider=provider, auth_mode=auth_mode, node_id=node_id, endpoint_ref=endpoint_ref,
        workspace_ref=workspace_ref, supports_headless=supports_headless, supports_rc=supports_rc,
        supports_resume=supports_resume, supports_mcp=supports_mcp)))


@tools.tool(EXEC, title="Spawn runtime", read_only=False, destructive=False, idempotent=False, open_world=False)
async def spawn_runtime(ctx: Context, agent_id: AgentNumber, template: AgentNumber,
                        template_version: Version | None = None, parent_runtime_id: AgentNumber | None = None,
                        runtime_kind: RuntimeKind | None = None, execution_surface_id: Ref | None = None,
                        assigned_ticket_id: Ref | None = None, assigned_task_id: Ref | None = None,
                        current_goal: ShortText | None = None, provider: Ref | None = None, model: Ref | None = None,
                        auth_method: AuthMethod | None = None, auth_account: Ref | None = None,
                        api_key_ref: Ref | None = None, litellm_model_id: Ref | None = None, host_id: Ref | None = None,
                        idempotency_key: IdemKey | None = None) -> RuntimeOut:
    """Spawn the runtime of agent agent_id (its Bus agent id) from a template, under the template's spawn policy; the
    LLM/auth binding defaults to the template's. Errors: [not_found], [invalid_argument] parent required, [conflict]
    max_children / max_parallel_runs reached or the agent has a runtime."""
    return await runtimes.spawn_runtime(services(ctx), RuntimeSpawn(**given(
        agent_id=agent_id, template=template, template_version=template_version, parent_runtime_id=parent_runtime_id,
        runtime_kind=runtime_kind, execution_surface_id=execution_surface_id, assigned_ticket_id=assigned_ticket_id,
        assigned_task_id=assigned_task_id, current_goal=current_goal, provider=provider, model=model,
        auth_method=auth_method, auth_account=auth_account, api_key_ref=api_key_ref, litellm_model_id=litellm_model_id,
        host_id=host_id, idempotency_key=idempotency_key)))


@tools.tool(EXEC, title="Transition runtime", read_only=False, destructive=False, idempotent=False, open_world=False)
async def transition_runtime(ctx: Context, runtime_id: AgentNumber, to: Ref, last_error: ShortText | None = None,
                             recoverable: bool | None = None, model: Ref | None = None,
                             execution_surface_id: Ref | None = None) -> RuntimeOut:
    """Move a runtime along odm://lifecycles/runtime (recovery: recover.ready -> recover.retry, switching model or
    surface, -> execute.active; or recover.failed); health follows. Errors: [invalid_transition], [not_found]."""
    return await runtimes.move_runtime(services(ctx), RuntimeMove(**given(
        runtime_id=runtime_id, to=to, last_error=last_error, recoverable=recoverable, model=model,
        execution_surface_id=execution_surface_id)))


@tools.tool(EXEC, title="Open session", read_only=False, destructive=False, idempotent=False, open_world=False)
async def open_session(ctx: Context, runtime_id: AgentNumber, execution_surface_id: Ref,
                       external_session_ref: ShortText | None = None, external_thread_ref: ShortText | None = None,
                       opened_by: Ref | None = None, context_snapshot_ref: ShortText | None = None,
                       resumable: bool | None = None, rc_attachable: bool | None = None,
                       idempotency_key: IdemKey | None = None) -> SessionOut:
    """Open an active session (§4.10) of a runtime on a surface (resume/RC-attach default to what the surface supports);
    pass its id as session_id when recording activities. Errors: [not_found], [conflict], [invalid_argument]."""
    return await sessions.open_session(services(ctx), SessionOpen(**given(
        runtime_id=runtime_id, execution_surface_id=execution_surface_id, external_session_ref=external_session_ref,
        external_thread_ref=external_thread_ref, opened_by=opened_by, context_snapshot_ref=context_snapshot_ref,
        resumable=resumable, rc_attachable=rc_attachable, idempotency_key=idempotency_key)))


@tools.tool(EXEC, title="Transition session", read_only=False, destructive=False, idempotent=False, open_world=False)
async def transition_session(ctx: Context, session_id: Ref, to: Ref, reason: ShortText | None = None,
                             transcript: TranscriptRef | None = None, checkpoint_ref: ShortText | None = None) -> SessionOut:
    """Move a session along odm://lifecycles/session: a crash is recover.crashed, then recover.recovering, then
    execute.active (claims are kept). transcript = {uri, sha256, bytes}, never the body. Errors: [invalid_transition]."""
    return await sessions.move_session(services(ctx), SessionMove(**given(
        session_id=session_id, to=to, reason=reason, transcript=transcript, checkpoint_ref=checkpoint_ref)))


@tools.tool(EXEC, title="Intervene", read_only=False, destructive=False, idempotent=False, open_world=False,
            scope="management")
async def intervene(ctx: Context, scope_type: Literal["agent_runtime", "session"], scope_ref: Ref, reason: ShortText,
                    mode: InterventionMode | None = None, revokes: Ref | None = None,
                    initiated_by: Literal["system", "orchestrator", "governor", "human"] = "orchestrator",
                    issued_by: Ref | None = None, effective_from: datetime | None = None,
                    effective_until: datetime | None = None, constraints: Texts = [], model: Ref | None = None,
                    execution_surface_id: Ref | None = None) -> InterventionOut:
    """Pause, resume, constrain or reroute a runtime or session (§10.5) for a window, as an override record; revoke
    one with revokes=<its id> (a new record). Errors: [not_found], [invalid_argument], [conflict] already revoked."""
    return await interventions.intervene(services(ctx), InterventionCreate(**given(
        scope_type=scope_type, scope_ref=scope_ref, reason=reason, mode=mode, revokes=revokes, initiated_by=initiated_by,
        issued_by=issued_by, effective_from=effective_from, effective_until=effective_until, constraints=constraints,
        model=model, execution_surface_id=execution_surface_id)))
