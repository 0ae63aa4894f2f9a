"""The automatic moves as data: where a parent goes given its children, and the rules checked against the tables."""

from __future__ import annotations

import pytest

from odm.domain.lifecycles import LIFECYCLES, describe_follows, follow_target
from odm.domain.lifecycles.follow import FOLLOWS, Follow, check_follows
from odm.domain.rules import placement


@pytest.mark.parametrize(("kind", "pair", "children", "expected"), [
    ("ticket", "create.draft", ["execute.active", "plan.queued"], "execute.active"),
    ("ticket", "ready.ready", ["execute.ready"], None),  # waiting for a claim is not under way
    ("ticket", "plan.waiting", ["execute.active"], None),  # deferred by a human: left alone
    ("ticket", "execute.active", ["complete.completed", "complete.cancelled", "complete.failed"], "review.ready"),
    ("ticket", "execute.blocked", ["complete.completed"], "review.ready"),
    ("ticket", "execute.active", ["complete.completed", "plan.blocked"], None),
    ("ticket", "execute.active", [], None),
    ("ticket", "review.active", ["complete.completed", "plan.queued"], "execute.active"),
    ("ticket", "approval.waiting", ["ready.ready", "complete.completed"], "execute.active"),
    ("ticket", "complete.completed", ["plan.queued"], None),
    ("project", "create.draft", ["execute.active", "create.draft"], "execute.active"),
    ("project", "execute.active", ["review.ready", "complete.cancelled"], "review.active"),
    ("project", "execute.active", ["complete.cancelled"], None),  # all cancelled: nothing to review
    ("project", "execute.active", ["review.ready", "create.draft"], None),
    ("project", "execute.paused", ["review.ready"], None),  # paused by a human: left alone
    ("sprint", "review.active", ["execute.active", "complete.completed"], "execute.active"),
])
def test_a_parent_goes_where_its_children_put_it(kind, pair, children, expected):
    found = follow_target(kind, pair, children)
    assert (found[0] if found else None) == expected


def test_every_rule_is_a_route_of_its_table_and_a_rule_outside_it_is_refused(monkeypatch):
    check_follows(LIFECYCLES)
    bad = {"ticket": (Follow(("complete.completed",), "execute.active", bool, "never"),)}
    monkeypatch.setattr("odm.domain.lifecycles.follow.FOLLOWS", bad)
    with pytest.raises(ValueError, match="automatic move complete.completed -> execute.active is not in its table"):
        check_follows(LIFECYCLES)


def test_the_automatic_moves_are_described_for_every_kind_that_has_them():
    assert {kind for kind in LIFECYCLES if describe_follows(kind)} == set(FOLLOWS) | {"task"}
    assert [r["to"] for r in describe_follows("task")] == ["plan.blocked", "plan.queued"]


def test_a_task_with_a_dead_dependency_is_placed_blocked_unless_paused():
    gates = {"requires_human": False, "requires_approval": True}
    assert placement(deps_done=False, deps_dead=True, **gates) == "plan.blocked"
    assert placement(deps_done=False, deps_dead=True, paused=True, **gates) == "plan.paused"
    assert placement(deps_done=False, **gates) == "plan.queued"
