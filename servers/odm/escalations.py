"""odm-mcp Human gates: escalate and decide (default toolset). decide needs scope management: a decision is a
human's act, so an agent's execution key cannot answer its own escalation."""

from __future__ import annotations

from datetime import datetime

from mcp.server.mcpserver import Context

from odm.domain.escalations import (
    AskTrigger,
    Decide,
    DecisionType,
    Escalate,
    EscalationResult,
    Item,
    Items,
    Message,
    RejectTo,
    Summary,
)
from odm.domain.types import AgentId, Priority, Ref
from odm.services import escalations
from servers.app import ToolGroup
from servers.odm._context import given, services

__all__ = ["decide", "escalate"]

tools = ToolGroup()


@tools.tool(title="Escalate", read_only=False, destructive=False, idempotent=False, open_world=False)
async def escalate(ctx: Context, task_id: Ref, summary: Summary, questions: Items = [], options: Items = [],
                   recommended_option: Item | None = None, urgency: Priority = "normal",
                   trigger_type: AskTrigger = "requires_human", due_at: datetime | None = None) -> EscalationResult:
    """Ask a human about a task in progress; it waits until decide. Errors: [not_found],
    [invalid_transition], [conflict]."""
    return await escalations.escalate(services(ctx), Escalate(**given(
        task_id=task_id, summary=summary, questions=questions, options=options, recommended_option=recommended_option,
        urgency=urgency, trigger_type=trigger_type, due_at=due_at)))


@tools.tool(title="Decide", read_only=False, destructive=True, idempotent=False, open_world=False,
            scope="management")
async def decide(ctx: Context, escalation_id: Ref, decision_type: DecisionType, created_by: AgentId,
                 selected_option: Item | None = None, message: Message | None = None, constraints: Items = [],
                 reject_to: RejectTo | None = None, due_at: datetime | None = None) -> EscalationResult:
    """A human's final answer; resumes the task (reject: cancelled or rework; postpone: to due_at).
    Errors: [conflict], [invalid_argument]."""
    return await escalations.decide(services(ctx), Decide(**given(
        escalation_id=escalation_id, decision_type=decision_type, created_by=created_by,
        selected_option=selected_option, message=message, constraints=constraints, reject_to=reject_to,
        due_at=due_at)))
