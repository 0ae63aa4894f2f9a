"""Approval policies per workspace and risk level, their defaults, and what an approval request resolves to.

Defaults: read and write run without approval; destructive and irreversible need one, decided within an
hour (the SLA), with no escalation chain, and a client that supports elicitation may approve inline.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from xem.domain.manifest import NAME_PATTERN, RISKS, Risk

__all__ = ["DECISIONS", "DEFAULT_SLA_S", "ApprovalPolicy", "Decision", "default_policy", "next_step"]

Decision = Literal["approved", "rejected"]
DECISIONS: tuple[str, ...] = ("approved", "rejected")
APPROVAL_STATES: tuple[str, ...] = ("pending", "approved", "rejected", "timeout", "escalated")
DEFAULT_SLA_S = 3600
APPROVER = r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$"


class ApprovalPolicy(BaseModel):
    """Whether a call of ``risk`` in ``workspace`` waits for a human, for how long, and who is asked next."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    workspace: str = Field(pattern=NAME_PATTERN)
    risk: Risk
    required: bool = Field(description="true: the call waits for an approval before it is dispatched")
    sla_s: int = Field(DEFAULT_SLA_S, ge=1, le=30 * 86_400, description="seconds an approver has before it escalates or times out")
    escalation: tuple[str, ...] = Field((), max_length=10, description="who is asked next, in order, when the SLA passes")
    inline: bool = Field(True, description="a client that supports elicitation may approve its own call")
    default: bool = Field(False, description="true: no policy was set; these are the built-in defaults")


def default_policy(workspace: str, risk: str) -> ApprovalPolicy:
    return ApprovalPolicy(workspace=workspace, risk=risk, required=risk in ("destructive", "irreversible"),
                          default=True)


def next_step(policy: ApprovalPolicy, level: int) -> str | None:
    """Who is asked after level ``level`` timed out (None: the chain is exhausted, the request times out)."""
    return policy.escalation[level] if level < len(policy.escalation) else None


def all_risks() -> tuple[str, ...]:
    return RISKS
