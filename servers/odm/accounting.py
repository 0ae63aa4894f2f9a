"""odm-mcp Accounting: record_activity (default); accounting toolset: record_activities (batch), complete_activity,
evaluate_activity, list_activities, set_budget."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from mcp.server.mcpserver import Context
from pydantic import Field

from odm.domain.accounting import (
    ActivityComplete,
    ActivityOut,
    ActivityRecord,
    ActivityRecorded,
    ActivityType,
    BatchOut,
    BudgetKind,
    BudgetOut,
    BudgetSet,
    EvaluationCreate,
    EvaluationOut,
    Fraction,
    Millis,
    Notes,
    Pct,
    ResultStatus,
    ReviewerType,
    Tokens,
)
from odm.domain.types import AgentId, Cost, Limit, Ref, ShortText
from odm.domain.views import Page
from odm.services import activities, budgets
from servers.app import ToolGroup
from servers.odm._context import given, services

__all__ = ["complete_activity", "evaluate_activity", "list_activities", "record_activities", "record_activity",
           "set_budget"]

tools = ToolGroup()
ACCOUNTING = "accounting"


@tools.tool(title="Record activity", read_only=False, destructive=False, idempotent=False, open_world=False)
async def record_activity(ctx: Context, task_id: Ref, agent_runtime_id: AgentId, activity_type: ActivityType = "prompt",
                          duration_ms: Millis | None = None, prompt_tokens: Tokens | None = None,
                          completion_tokens: Tokens | None = None, cached_tokens: Tokens | None = None,
                          actual_cost: Cost | None = None, claim_token: int | None = None,
                          session_id: Ref | None = None) -> ActivityRecorded:
    """Record work on your task: tokens, time, cost (omit if unknown, never 0), in your session if you have one.
    Crossing its cost_cap pauses it (see note). Errors: [not_found], [invalid_argument], [conflict]."""
    return await activities.record_activity(services(ctx), ActivityRecord(**given(
        task_id=task_id, agent_runtime_id=agent_runtime_id, activity_type=activity_type, duration_ms=duration_ms,
        prompt_tokens=prompt_tokens, completion_tokens=completion_tokens, cached_tokens=cached_tokens,
        actual_cost=actual_cost, claim_token=claim_token, session_id=session_id)))


class ActivityItem(ActivityRecord):
    """One activity of a batch (the fields of record_activity and the rest of §4.6)."""


@tools.tool(ACCOUNTING, title="Record activities (batch)", read_only=False, destructive=False, idempotent=False,
            open_world=False)
async def record_activities(ctx: Context, items: Annotated[list[ActivityItem], Field(min_length=1, max_length=1000)]
                            ) -> BatchOut:
    """Record up to 1000 activities at once (telemetry flush): all or none; an error names each bad item
    (items[i].field). Errors: [invalid_argument], [not_found]."""
    return await activities.record_activities(services(ctx), list(items))


@tools.tool(ACCOUNTING, title="Complete activity", read_only=False, destructive=False, idempotent=False,
            open_world=False)
async def complete_activity(ctx: Context, activity_id: Ref, ended_at: datetime | None = None,
                            result_status: ResultStatus = "success", duration_ms: Millis | None = None,
                            output_ref: ShortText | None = None, error_code: Ref | None = None,
                            error_message: ShortText | None = None, retryable: bool | None = None) -> ActivityOut:
    """Complete an open activity (recorded without ended_at) once: its only allowed change. Errors: [not_found],
    [conflict] already completed, [invalid_argument]."""
    return await activities.complete_activity(services(ctx), ActivityComplete(**given(
        activity_id=activity_id, ended_at=ended_at, result_status=result_status, duration_ms=duration_ms,
        output_ref=output_ref, error_code=error_code, error_message=error_message, retryable=retryable)))


@tools.tool(ACCOUNTING, title="Evaluate activity", read_only=False, destructive=False, idempotent=False,
            open_world=False)
async def evaluate_activity(ctx: Context, activity_id: Ref, reviewer_type: ReviewerType = "agent",
                            reviewer_id: AgentId | None = None, success: bool | None = None,
                            score: Fraction | None = None, confidence: Fraction | None = None, findings: Notes = [],
                            corrections: Notes = [], recommended_next_action: ShortText | None = None,
                            quality_notes: ShortText | None = None, failure_reason: ShortText | None = None,
                            retry_recommended: bool | None = None,
                            human_correction_required: bool | None = None) -> EvaluationOut:
    """Attach a quality evaluation (§4.6.1) to an activity; the activity itself never changes, evaluations add up.
    Errors: [not_found]."""
    return await activities.evaluate_activity(services(ctx), EvaluationCreate(**given(
        activity_id=activity_id, reviewer_type=reviewer_type, reviewer_id=reviewer_id, success=success, score=score,
        confidence=confidence, findings=findings, corrections=corrections,
        recommended_next_action=recommended_next_action, quality_notes=quality_notes, failure_reason=failure_reason,
        retry_recommended=retry_recommended, human_correction_required=human_correction_required)))


@tools.tool(ACCOUNTING, title="List activities", read_only=True, destructive=False, idempotent=True, open_world=False)
async def list_activities(ctx: Context, task_id: Ref | None = None, agent_id: AgentId | None = None,
                          since: datetime | None = None, until: datetime | None = None,
                          limit: Limit = 20, cursor: str | None = None) -> Page[ActivityOut]:
    """Activities recorded in [since, until) (default the last 31 days, at most 366), oldest first, by task or
    agent. Errors: [invalid_argument] malformed range or cursor."""
    return await activities.list_activities(services(ctx), task_id=task_id, agent_id=agent_id, start=since, end=until,
                                            cursor=cursor, limit=limit)


@tools.tool(ACCOUNTING, title="Set budget", read_only=False, destructive=False, idempotent=True, open_world=False)
async def set_budget(ctx: Context, kind: BudgetKind, id: Ref, plan_cost: Cost | None = None,
                     soft_limit: Cost | None = None, hard_limit: Cost | None = None,
                     warning_threshold_pct: Pct | None = None, cost_cap: Cost | None = None) -> BudgetOut:
    """Set a budget (§7.6): plan_cost, soft/hard limit and warning % of a project, sprint or ticket, or a task's
    plan_cost and cost_cap. Over a hard limit or cap the task recording pauses. Errors: [not_found], [invalid_argument]."""
    return await budgets.set_budget(services(ctx), BudgetSet(**given(
        kind=kind, id=id, plan_cost=plan_cost, soft_limit=soft_limit, hard_limit=hard_limit,
        warning_threshold_pct=warning_threshold_pct, cost_cap=cost_cap)))
