"""The invocation and approval rules as data, without a database."""

from __future__ import annotations

import pytest

from xem.domain.approvals import ApprovalPolicy, default_policy, next_step
from xem.domain.invocations import STATES, TRANSITIONS, can_move, outcome_of, request_hash

ALLOWED = [(a, b) for a in STATES for b in sorted(TRANSITIONS[a])]
REFUSED = [(a, b) for a in STATES for b in STATES if b not in TRANSITIONS[a]]


@pytest.mark.parametrize(("current", "new"), ALLOWED)
def test_every_allowed_transition_is_allowed(current, new):
    assert can_move(current, new)


@pytest.mark.parametrize(("current", "new"), REFUSED)
def test_every_other_transition_is_refused(current, new):
    assert not can_move(current, new)


def test_a_final_state_has_no_way_out_and_ambiguous_only_settles():
    assert all(not TRANSITIONS[s] for s in ("succeeded", "failed", "rejected", "timeout", "cancelled"))
    assert TRANSITIONS["ambiguous"] == {"succeeded", "failed"}


@pytest.mark.parametrize(("status", "mutating", "state"), [
    ("succeeded", True, "succeeded"), ("failed", False, "failed"), ("refused", True, "failed"),
    ("timed_out", False, "timeout"), ("cancelled", True, "cancelled"), ("killed", False, "cancelled"),
    ("killed", True, "ambiguous"), ("interrupted", True, "ambiguous"), ("interrupted", False, "failed"),
])
def test_the_agents_status_settles_the_invocation_by_the_cancellation_rule(status, mutating, state):
    assert outcome_of(status, mutating=mutating) == state


def test_the_same_request_is_the_same_hash_whatever_the_key_order():
    assert request_hash("ws", "t", {"a": 1, "b": [1, 2]}) == request_hash("ws", "t", {"b": [1, 2], "a": 1})
    assert request_hash("ws", "t", {"a": 1}) != request_hash("ws", "t", {"a": 2})
    assert request_hash("ws", "t", {}) != request_hash("ws", "u", {})


def test_defaults_gate_destructive_and_irreversible_and_the_chain_escalates_in_order():
    assert [default_policy("ws", r).required for r in ("read", "write", "destructive", "irreversible")] == [
        False, False, True, True]
    policy = ApprovalPolicy(workspace="ws", risk="destructive", required=True, escalation=("alice", "bob"))
    assert [next_step(policy, level) for level in range(3)] == ["alice", "bob", None]
