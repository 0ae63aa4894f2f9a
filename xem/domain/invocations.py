"""Invocations as data: states, allowed transitions, the outcome of an agent's result, the canonical request
hash idempotency compares, and the MCP name of an agent tool. Pure Python: no I/O."""

from __future__ import annotations

import hashlib
import re
from typing import Any, Literal

from xem.domain.manifest import canonical_json

__all__ = [
    "FINAL", "IN_FLIGHT", "STATES", "TRANSITIONS", "InvocationState", "can_move", "mcp_tool_name", "outcome_of",
    "request_hash",
]

InvocationState = Literal["created", "pending_approval", "dispatched", "running", "succeeded", "failed", "rejected",
                          "timeout", "cancelled", "ambiguous"]
STATES: tuple[str, ...] = ("created", "pending_approval", "dispatched", "running", "succeeded", "failed", "rejected",
                           "timeout", "cancelled", "ambiguous")
FINAL = frozenset({"succeeded", "failed", "rejected", "timeout", "cancelled"})
IN_FLIGHT = frozenset({"dispatched", "running"})

# What may follow what. "ambiguous" is final for the bridge (never re-dispatched) but a late result from the
# agent, or an operator's resolution, settles it to succeeded or failed.
TRANSITIONS: dict[str, frozenset[str]] = {
    "created": frozenset({"pending_approval", "dispatched", "cancelled", "failed"}),
    "pending_approval": frozenset({"dispatched", "rejected", "timeout", "cancelled"}),
    "dispatched": frozenset({"dispatched", "running", "succeeded", "failed", "timeout", "cancelled", "ambiguous"}),
    "running": frozenset({"dispatched", "succeeded", "failed", "timeout", "cancelled", "ambiguous"}),
    "ambiguous": frozenset({"succeeded", "failed"}),
    "succeeded": frozenset(),
    "failed": frozenset(),
    "rejected": frozenset(),
    "timeout": frozenset(),
    "cancelled": frozenset(),
}

_MCP_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
SEPARATOR = "__"


def can_move(current: str, new: str) -> bool:
    return new in TRANSITIONS.get(current, frozenset())


def outcome_of(status: str, *, mutating: bool) -> str:
    """The invocation state an agent's result status settles to.

    ``cancelled``: the agent confirms the tool never started. ``killed``: it was stopped while running, so a
    mutation may have had an effect (ambiguous); ``interrupted``: the agent stopped while it ran (same rule).
    """
    if status == "succeeded":
        return "succeeded"
    if status == "timed_out":
        return "timeout"
    if status == "cancelled":
        return "cancelled"
    if status in ("killed", "interrupted"):
        return "ambiguous" if mutating else ("cancelled" if status == "killed" else "failed")
    return "failed"  # failed, refused


def request_hash(workspace: str, tool: str, arguments: dict[str, Any]) -> str:
    """What "the same request" means for idempotency: tool and canonical arguments (key order does not matter)."""
    return "sha256:" + hashlib.sha256(canonical_json([workspace, tool, arguments]).encode()).hexdigest()


def mcp_tool_name(workspace: str, tool: str) -> str | None:
    """``<workspace>__<tool>``, or None when it cannot be formed (over 64 characters or outside the alphabet)."""
    name = f"{workspace}{SEPARATOR}{tool}"
    return name if _MCP_NAME.match(name) else None
