"""Escalations and human decisions as plain rules (§4.11, §4.12, §5.6, §9): which gate a trigger opens,
which decisions it allows, and where a decision resumes the task. The commands and views of the use cases."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, WithJsonSchema, model_validator

from odm.domain.commands import Command
from odm.domain.types import AgentId, Priority, Ref, ShortText
from odm.domain.views import View
from odm.errors import InvalidArgument

__all__ = [
    "ALLOWED_DECISIONS", "AskTrigger", "DecisionType", "Decide", "DecisionOut", "Escalate", "EscalationBrief",
    "EscalationOut", "EscalationResult", "Item", "Items", "Message", "RejectTo", "Summary", "TriggerType",
    "allowed_decisions", "check_decision", "gate_of", "in_progress", "resume_target",
]

TriggerType = Literal["requires_human", "requires_approval", "ambiguity", "failure", "manual", "budget"]
AskTrigger = Literal["requires_human", "requires_approval", "ambiguity", "failure", "manual"]  # budget: the budget code
DecisionType = Literal["answer", "approve", "reject", "redirect", "constrain", "postpone"]
RejectTo = Literal["cancelled", "rework"]
# checked, advertised as plain strings (tools/list is paid for by every agent)
Item = Annotated[str, StringConstraints(min_length=1, max_length=500), WithJsonSchema({"type": "string"})]
Items = Annotated[list[Item], Field(max_length=20), WithJsonSchema({"type": "array", "items": {"type": "string"}})]
Summary = Annotated[str, StringConstraints(min_length=1, max_length=2000), WithJsonSchema({"type": "string"})]
Message = Annotated[str, StringConstraints(max_length=5000), WithJsonSchema({"type": "string"})]

# Approval triggers (§5.6 approval gate) ask for a yes or no; the others ask a question (discussion gate).
_APPROVAL_TRIGGERS = frozenset({"requires_approval", "budget"})
ALLOWED_DECISIONS: dict[str, tuple[str, ...]] = {
    "approval": ("approve", "reject", "constrain", "postpone"),
    "discussion": ("answer", "redirect", "constrain", "reject", "postpone"),
}
# Task pairs an escalation may start from: work under way, or a task already waiting at a gate with no open request.
_WORKING = frozenset({"execute", "review", "test", "recover"})
GATES = ("discussion.waiting", "approval.waiting")


def gate_of(trigger_type: str) -> str:
    """The gate (task pair and escalation pair) a trigger opens."""
    return "approval.waiting" if trigger_type in _APPROVAL_TRIGGERS else "discussion.waiting"


def allowed_decisions(trigger_type: str) -> tuple[str, ...]:
    return ALLOWED_DECISIONS[gate_of(trigger_type).split(".")[0]]


def in_progress(pair: str) -> bool:
    """Whether a task at ``pair`` is being worked on (escalate moves it to a gate)."""
    return pair.split(".")[0] in _WORKING and pair.split(".")[1] not in ("completed", "failed", "cancelled")


def check_decision(*, escalation_id: str, allowed: list[str], options: list[str], decision_type: str,
                   selected_option: str | None, constraints: list[str], reject_to: str | None,
                   postpone_until: datetime | None, now: datetime) -> None:
    """Refuse a decision the escalation does not allow, naming the field.

    Raises:
        InvalidArgument: a decision type, option, constraint list, reject_to or due_at that does not fit.
    """
    if decision_type not in allowed:
        raise InvalidArgument(f"decision_type {decision_type!r} is not allowed for escalation {escalation_id}; "
                              f"allowed: {', '.join(allowed)}")
    if selected_option is not None and selected_option not in options:
        listed = ", ".join(repr(o) for o in options) or "none (it offered no options)"
        raise InvalidArgument(f"selected_option {selected_option!r} is not among the options of escalation "
                              f"{escalation_id}: {listed}")
    if decision_type == "constrain" and not constraints:
        raise InvalidArgument("constraints: a constrain decision needs at least one constraint")
    if reject_to is not None and decision_type != "reject":
        raise InvalidArgument("reject_to applies only to decision_type reject")
    if decision_type == "postpone" and postpone_until is not None and postpone_until <= now:
        raise InvalidArgument(f"due_at {postpone_until.isoformat()} is not in the future; postpone to a later time")
    if decision_type != "postpone" and postpone_until is not None:
        raise InvalidArgument("due_at applies only to decision_type postpone (the new due time)")


def resume_target(decision_type: str, *, resume_from: str | None, claimed: bool, reject_to: str | None) -> str | None:
    """Where a decision sends the task at its gate (§5.6 resume rule); None = it stays waiting (postpone).

    approve/answer/constrain: back to work (the holder keeps going: execute.active; else execute.ready for the
    next claimer; a task escalated from review goes back to review.ready). reject: complete.cancelled, or
    rework (back to execute with the decision attached). redirect: the claim is released and the task is
    offered afresh (execute.ready) with the new direction attached.
    """
    if decision_type == "postpone":
        return None
    if decision_type == "reject" and (reject_to or "cancelled") == "cancelled":
        return "complete.cancelled"
    if decision_type == "redirect":
        return "execute.ready"
    if decision_type != "reject" and resume_from and resume_from.split(".")[0] in ("review", "test"):
        return "review.ready"
    return "execute.active" if claimed else "execute.ready"


class Escalate(Command):
    task_id: Ref
    summary: Summary
    questions: Items = []
    options: Items = []
    recommended_option: Item | None = None
    urgency: Priority = "normal"
    trigger_type: TriggerType = "requires_human"
    due_at: datetime | None = None
    agent_id: AgentId | None = None
    context_bundle_ref: ShortText | None = None

    @model_validator(mode="after")
    def _recommended_is_an_option(self) -> Escalate:
        if self.recommended_option is not None and self.recommended_option not in self.options:
            raise ValueError(f"recommended_option {self.recommended_option!r} is not among options")
        if len(set(self.options)) != len(self.options):
            raise ValueError("options: each option must be different")
        if self.due_at is not None and self.due_at.tzinfo is None:
            raise ValueError("due_at needs a time zone (e.g. 2026-12-04T09:00:00Z)")
        return self


class Decide(Command):
    escalation_id: Ref
    decision_type: DecisionType
    created_by: AgentId
    selected_option: Item | None = None
    message: Message | None = None
    constraints: Items = []
    reject_to: RejectTo | None = None
    due_at: datetime | None = None

    @model_validator(mode="after")
    def _zoned(self) -> Decide:
        if self.due_at is not None and self.due_at.tzinfo is None:
            raise ValueError("due_at needs a time zone (e.g. 2026-12-04T09:00:00Z)")
        return self


class EscalationBrief(View):
    id: str
    task_id: str | None
    trigger_type: str
    urgency: str
    summary: str
    status: str
    state: str
    status_state: str
    due_at: datetime | None
    created_at: datetime


class DecisionOut(View):
    id: str
    escalation_request_id: str
    decision_type: str
    selected_option: str | None
    message: str | None
    constraints: list[str]
    applies_to_task_id: str | None
    task_resumed_to: str | None
    postponed_until: datetime | None
    created_by: str
    created_at: datetime


class EscalationResult(View):  # what escalate and decide answer; odm://escalations/{id} has the rest
    id: str
    status_state: str
    effects: list[str] = []  # what happened to the task (moved where, constraints attached, decision recorded)


class EscalationOut(EscalationBrief):
    ticket_id: str | None
    agent_runtime_id: str | None
    questions: list[str]
    options: list[str]
    recommended_option: str | None
    allowed_decisions: list[str]
    task_status_state: str | None = None
    resolved_at: datetime | None
    decisions: list[DecisionOut] = []
    effects: list[str] = []

