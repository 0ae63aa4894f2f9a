"""Pure rules of the work graph: where a task waits, who keeps a claim, when a spec is stale, plan splits."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import ROUND_DOWN, Decimal
from typing import Any

from odm.errors import InvalidArgument

__all__ = ["SPEC_FIELDS", "allocate", "keeps_claim", "override_type", "placement", "spec_stale"]

SPEC_FIELDS = ("title", "objective", "description", "acceptance_criteria")
_CLAIM_KEEPING = frozenset({"execute", "discussion", "approval", "review", "test", "recover"})
_QUANTUM = Decimal("0.0001")


def placement(*, deps_done: bool, requires_human: bool, requires_approval: bool, paused: bool = False,
              deps_dead: bool = False) -> str:
    """Where a task that is not running belongs: paused, blocked by a dependency that will never complete
    (cancelled or failed), waiting on dependencies, at a gate, or ready.

    Approval is stronger than discussion (§9.5), so a task needing both waits for approval.
    """
    if paused:
        return "plan.paused"
    if deps_dead:
        return "plan.blocked"
    if not deps_done:
        return "plan.queued"
    if requires_approval:
        return "approval.waiting"
    if requires_human:
        return "discussion.waiting"
    return "ready.ready"


def keeps_claim(pair: str) -> bool:
    """Whether the agent holding a task keeps it in ``pair`` (it does while the work is under way)."""
    return pair.split(".")[0] in _CLAIM_KEEPING and pair != "execute.ready"


def spec_stale(row: Mapping[str, Any], snapshot: Mapping[str, Any] | None) -> bool:
    """A claimed task whose snapshot (taken at assignment) is older than its current spec."""
    if row.get("claimed_by") is None or not snapshot:
        return False
    return int(snapshot.get("spec_version", 0)) < int(row["spec_version"])


def override_type(source: str, target: str) -> str:
    """§4.12A override_type of a forced lifecycle move."""
    if target.endswith(".cancelled"):
        return "cancel"
    if target.endswith(".paused"):
        return "pause"
    if source.endswith(".paused"):
        return "resume"
    return "bypass"


def allocate(total: Decimal | None, requested: Sequence[Decimal | None], *, share_rest: bool,
             what: str) -> tuple[list[Decimal | None], Decimal | None]:
    """Divide ``total`` among parts: returns (parts, what the source keeps); parts + kept == total.

    Explicit amounts are taken as given; with ``share_rest`` the parts without one share what is
    left evenly (the last absorbs rounding), otherwise they get nothing (None).

    Raises:
        InvalidArgument: explicit amounts exceed the total, or the total is unknown.
    """
    explicit = [r for r in requested if r is not None]
    if total is None:
        if explicit:
            raise InvalidArgument(f"the ticket has no {what} to divide; set one first with update_ticket "
                                  "(--toolsets planning), or omit it from the parts")
        return [None] * len(requested), None
    given = sum(explicit, Decimal(0))
    if given > total:
        raise InvalidArgument(f"the parts ask for {what} {given} but the ticket has {total}; lower them")
    rest = total - given
    open_parts = [i for i, r in enumerate(requested) if r is None]
    parts: list[Decimal | None] = list(requested)
    if share_rest and open_parts:
        each = (rest / len(open_parts)).quantize(_QUANTUM, rounding=ROUND_DOWN)
        for i in open_parts:
            parts[i] = each
        parts[open_parts[-1]] = rest - each * (len(open_parts) - 1)
        rest = Decimal(0)
    return parts, rest
