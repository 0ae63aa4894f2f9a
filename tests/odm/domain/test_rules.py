"""Pure rules: task placement, who keeps a claim, stale specs, override types and plan division."""

from __future__ import annotations

from decimal import Decimal

import pytest

from odm.domain.lifecycles import LIFECYCLES
from odm.domain.rules import allocate, keeps_claim, override_type, placement, spec_stale
from odm.errors import InvalidArgument

TASK = LIFECYCLES["task"]


@pytest.mark.parametrize(
    "deps_done, human, approval, paused, expected",
    [
        (True, False, False, False, "ready.ready"),
        (False, False, False, False, "plan.queued"),
        (False, True, True, False, "plan.queued"),
        (True, True, False, False, "discussion.waiting"),
        (True, False, True, False, "approval.waiting"),
        (True, True, True, False, "approval.waiting"),
        (True, False, False, True, "plan.paused"),
    ],
)
def test_a_task_waits_for_dependencies_then_its_gate_then_is_ready(deps_done, human, approval, paused, expected):
    target = placement(deps_done=deps_done, requires_human=human, requires_approval=approval, paused=paused)
    assert target == expected
    assert TASK.route(TASK.initial, target) is not None  # reachable by allowed transitions


def test_the_claim_is_kept_while_work_is_under_way_and_dropped_otherwise():
    assert keeps_claim("execute.active") and keeps_claim("discussion.waiting") and keeps_claim("review.active")
    assert not keeps_claim("execute.ready") and not keeps_claim("ready.ready") and not keeps_claim("complete.completed")


def test_spec_is_stale_only_for_a_claimed_task_whose_snapshot_is_older():
    row = {"claimed_by": "a", "spec_version": 3}
    assert spec_stale(row, {"spec_version": 2})
    assert not spec_stale(row, {"spec_version": 3})
    assert not spec_stale({"claimed_by": None, "spec_version": 3}, {"spec_version": 1})
    assert not spec_stale(row, None)


@pytest.mark.parametrize("source, target, expected", [
    ("execute.active", "complete.cancelled", "cancel"), ("execute.active", "execute.paused", "pause"),
    ("execute.paused", "execute.active", "resume"), ("create.draft", "complete.completed", "bypass"),
])
def test_forced_moves_are_typed_for_the_override_record(source, target, expected):
    assert override_type(source, target) == expected


def test_split_shares_the_rest_evenly_and_the_parts_sum_to_the_whole():
    parts, kept = allocate(Decimal("10"), [None, None, None], share_rest=True, what="plan_cost")
    assert parts == [Decimal("3.3333"), Decimal("3.3333"), Decimal("3.3334")] and kept == 0
    assert sum(parts) + kept == Decimal("10")
    parts, kept = allocate(Decimal("10"), [Decimal("4"), None], share_rest=True, what="plan_cost")
    assert parts == [Decimal("4"), Decimal("6")] and kept == 0
    parts, kept = allocate(Decimal("10"), [Decimal("4"), Decimal("1")], share_rest=True, what="plan_cost")
    assert parts == [Decimal("4"), Decimal("1")] and kept == Decimal("5")


def test_a_spawned_part_without_an_amount_takes_nothing():
    parts, kept = allocate(Decimal("10"), [None], share_rest=False, what="plan_cost")
    assert parts == [None] and kept == Decimal("10")


def test_unknown_totals_and_overdrawn_parts_are_refused():
    assert allocate(None, [None, None], share_rest=True, what="plan_cost") == ([None, None], None)
    with pytest.raises(InvalidArgument, match="no plan_cost to divide"):
        allocate(None, [Decimal("1")], share_rest=True, what="plan_cost")
    with pytest.raises(InvalidArgument, match="ask for plan_cost 11 but the ticket has 10"):
        allocate(Decimal("10"), [Decimal("5"), Decimal("6")], share_rest=True, what="plan_cost")
