"""The lifecycle tables: every allowed and every refused transition of every kind, and the §5 rules."""

from __future__ import annotations

import itertools

import pytest

from odm.domain.lifecycles.machine import build_lifecycle, split_pair
from odm.domain.lifecycles.tables import ACTIONS, INVALID_PATTERNS, LIFECYCLES, RESUME_TARGETS, check_spec_rules
from odm.errors import InvalidTransition, LifecycleDefinitionError

ALL = [(kind, src, dst) for kind, lc in LIFECYCLES.items() for src, dst in itertools.product(lc.pairs, lc.pairs)]
FREE = [c for c in ALL if (e := LIFECYCLES[c[0]].edges[c[1]].get(c[2])) is not None and not e.via]
RESERVED = [c for c in ALL if (e := LIFECYCLES[c[0]].edges[c[1]].get(c[2])) is not None and e.via]
REFUSED = [c for c in ALL if c[2] not in LIFECYCLES[c[0]].edges[c[1]]]


def _id(case) -> str:
    return f"{case[0]}:{case[1]}->{case[2]}"


@pytest.mark.parametrize("case", FREE, ids=_id)
def test_allowed_transition_is_accepted(case):
    kind, src, dst = case
    edge = LIFECYCLES[kind].check(src, dst, subject=f"{kind} x")
    assert (edge.source, edge.target) == (src, dst)
    assert dst in LIFECYCLES[kind].next(src)


@pytest.mark.parametrize("case", RESERVED, ids=_id)
def test_reserved_transition_is_refused_to_a_plain_move_and_names_the_action(case):
    kind, src, dst = case
    lc = LIFECYCLES[kind]
    with pytest.raises(InvalidTransition) as caught:
        lc.check(src, dst, subject=f"{kind} x")
    for action in lc.edges[src][dst].via:
        assert ACTIONS[action] in str(caught.value)
        assert lc.check(src, dst, subject=f"{kind} x", via=action).target == dst
    assert dst not in lc.next(src)


@pytest.mark.parametrize("case", REFUSED, ids=_id)
def test_refused_transition_names_the_allowed_next_pairs(case):
    kind, src, dst = case
    lc = LIFECYCLES[kind]
    for via in (None, *ACTIONS):
        with pytest.raises(InvalidTransition) as caught:
            lc.check(src, dst, subject=f"{kind} x", via=via)
        assert str(caught.value) == f"{kind} x cannot go from {src} to {dst}; allowed next: {lc.describe_next(src)}"


def test_the_design_example_message_is_exact():
    with pytest.raises(InvalidTransition) as caught:
        LIFECYCLES["task"].check("create.draft", "complete.completed", subject="task 1001.02")
    assert str(caught.value) == (
        "task 1001.02 cannot go from create.draft to complete.completed; allowed next: plan.draft, plan.queued"
    )


def test_a_name_outside_the_kind_is_refused_with_the_allowed_next_pairs():
    with pytest.raises(InvalidTransition, match="complete.active is not a task status.state; allowed next from plan.draft"):
        LIFECYCLES["task"].check("plan.draft", "complete.active", subject="task 1001.01")


# The spec's vocabularies (§5.5.x), written out independently of the tables.
SPEC_VOCABULARIES = {
    "ticket": ({"create", "plan", "ready", "execute", "review", "approval", "complete", "archive"},
               {"draft", "queued", "ready", "active", "waiting", "blocked", "rework", "completed", "cancelled", "archived"}),
    "task": ({"create", "plan", "ready", "execute", "discussion", "approval", "review", "test", "recover", "complete"},
             {"draft", "queued", "ready", "active", "paused", "waiting", "blocked", "retry", "rework", "failed", "completed", "cancelled"}),
    "discussion_thread": ({"create", "discussion", "review", "complete", "archive"},
                          {"active", "waiting", "promoted", "closed", "archived"}),
    "idea": ({"new", "under_discussion", "approved", "ticketed", "deferred", "rejected", "archived"}, None),
    "escalation": ({"create", "discussion", "approval", "complete", "archive"},
                   {"queued", "waiting", "active", "responded", "expired", "cancelled", "completed", "archived"}),
    "research_task": ({"create", "ready", "execute", "review", "complete", "archive"},
                      {"draft", "queued", "active", "waiting", "blocked", "completed", "cancelled", "archived"}),
    "knowledge_object": ({"create", "review", "ready", "archive"}, {"draft", "ready", "rework", "archived"}),
    "runtime": ({"create", "ready", "execute", "discussion", "recover", "complete", "archive"},
                {"queued", "ready", "active", "paused", "waiting", "blocked", "retry", "failed", "completed", "cancelled",
                 "archived"}),
    "session": ({"create", "ready", "execute", "discussion", "recover", "complete", "archive"},
                {"queued", "active", "idle", "paused", "waiting", "blocked", "crashed", "recovering", "closed", "archived"}),
}


@pytest.mark.parametrize("kind", sorted(SPEC_VOCABULARIES))
def test_vocabularies_are_exactly_the_spec_sets(kind):
    statuses, states = SPEC_VOCABULARIES[kind]
    lc = LIFECYCLES[kind]
    assert set(lc.statuses) == statuses == {split_pair(p)[0] for p in lc.pairs}
    if states is not None:
        assert set(lc.states) == states == {split_pair(p)[1] for p in lc.pairs}


# The spec's typical flows (§5.5.1, 5.5.2, 5.5.8, 5.5.9 + 4.3B) at the granularity they are drawn.
STATUS_FLOWS = {
    "ticket": [("create", "plan"), ("plan", "ready"), ("ready", "execute"), ("execute", "review"), ("review", "approval"),
               ("approval", "complete"), ("complete", "archive")],
    "task": [("create", "plan"), ("plan", "ready"), ("ready", "execute"), ("execute", "discussion"), ("discussion", "execute"),
             ("execute", "approval"), ("approval", "execute"), ("execute", "review"), ("review", "test"), ("test", "complete"),
             ("execute", "recover"), ("recover", "execute")],
    "idea": [("new", "under_discussion"), ("new", "deferred"), ("new", "rejected"), ("under_discussion", "approved"),
             ("under_discussion", "deferred"), ("under_discussion", "rejected"), ("approved", "ticketed"),
             ("deferred", "under_discussion"), ("deferred", "rejected"), ("deferred", "archived"), ("rejected", "archived"),
             ("ticketed", "archived")],
    "research_task": [("create", "ready"), ("ready", "execute"), ("execute", "review"), ("review", "complete"),
                      ("review", "execute"), ("complete", "archive"), ("complete", "ready")],
    "knowledge_object": [("create", "review"), ("review", "ready"), ("ready", "archive")],
}
PAIR_FLOWS = {
    "ticket": [("review.active", "review.rework"), ("review.rework", "execute.active")],
    "task": [("review.active", "review.rework"), ("review.rework", "execute.active"), ("recover.ready", "recover.failed")],
    "escalation": [("create.queued", "discussion.waiting"), ("discussion.waiting", "discussion.responded"),
                   ("discussion.responded", "complete.completed"), ("discussion.waiting", "complete.expired"),
                   ("discussion.waiting", "complete.cancelled"), ("approval.waiting", "approval.responded"),
                   ("complete.completed", "archive.archived")],
    "discussion_thread": [("create.active", "discussion.active"), ("discussion.active", "discussion.waiting"),
                          ("discussion.waiting", "discussion.active"), ("discussion.active", "review.active"),
                          ("review.active", "complete.promoted"), ("review.active", "complete.closed"),
                          ("complete.promoted", "archive.archived"), ("complete.closed", "archive.archived")],
    "knowledge_object": [("review.draft", "review.rework"), ("review.rework", "review.draft"),
                         ("review.draft", "ready.ready")],
    # §5.5.3 and §5.5.4 typical flows, pair by pair
    "runtime": [("create.queued", "ready.ready"), ("ready.ready", "execute.active"), ("execute.active", "discussion.waiting"),
                ("discussion.waiting", "execute.active"), ("execute.active", "execute.paused"),
                ("execute.paused", "execute.active"), ("execute.active", "recover.ready"), ("recover.ready", "recover.retry"),
                ("recover.retry", "execute.active"), ("recover.ready", "recover.failed"),
                ("execute.active", "complete.completed"), ("complete.completed", "archive.archived")],
    "session": [("create.queued", "execute.active"), ("execute.active", "execute.idle"), ("execute.idle", "execute.active"),
                ("execute.active", "execute.paused"), ("execute.paused", "execute.active"),
                ("execute.active", "discussion.waiting"), ("discussion.waiting", "execute.active"),
                ("execute.active", "recover.crashed"), ("recover.crashed", "recover.recovering"),
                ("recover.recovering", "execute.active"), ("execute.active", "complete.closed"),
                ("complete.closed", "archive.archived")],
}


@pytest.mark.parametrize("kind, flow", [(k, f) for k, fs in STATUS_FLOWS.items() for f in fs], ids=str)
def test_every_status_step_of_the_typical_flow_is_possible(kind, flow):
    lc = LIFECYCLES[kind]
    assert any(split_pair(s)[0] == flow[0] and split_pair(t)[0] == flow[1] for s in lc.pairs for t in lc.edges[s])


@pytest.mark.parametrize("kind, flow", [(k, f) for k, fs in PAIR_FLOWS.items() for f in fs], ids=str)
def test_every_pair_step_of_the_typical_flow_is_an_edge(kind, flow):
    assert flow[1] in LIFECYCLES[kind].edges[flow[0]]


@pytest.mark.parametrize("kind", sorted(LIFECYCLES))
def test_no_invalid_pattern_and_archive_holds_only_archived(kind):
    for pair in LIFECYCLES[kind].pairs:
        status, state = split_pair(pair)
        assert (status, state) not in INVALID_PATTERNS
        assert (status == "archive") <= (state == "archived")


@pytest.mark.parametrize("kind", sorted(LIFECYCLES))
def test_every_pair_is_reachable_and_can_reach_an_end(kind):
    lc = LIFECYCLES[kind]
    for pair in lc.pairs:
        assert pair == lc.initial or lc.route(lc.initial, pair, via=ACTIONS) is not None
        assert pair in lc.terminal or any(lc.route(pair, end, via=ACTIONS) for end in lc.terminal)


@pytest.mark.parametrize("kind, gate", [("task", "discussion.waiting"), ("task", "approval.waiting"), ("ticket", "approval.waiting")])
def test_human_gates_resume_only_to_the_resume_targets(kind, gate):
    lc = LIFECYCLES[kind]
    status = split_pair(gate)[0]
    leaving = {t for t in lc.edges[gate] if split_pair(t)[0] != status}
    assert leaving and leaving <= RESUME_TARGETS
    assert "complete.cancelled" in leaving


def test_task_recovery_pairs_exist_and_recovery_can_retry_fail_or_escalate():
    task = LIFECYCLES["task"]
    assert {"recover.retry", "recover.failed", "discussion.waiting"} <= set(task.edges["recover.ready"])
    assert "execute.active" in task.edges["recover.retry"]
    assert "recover.ready" in task.edges["execute.active"]


def test_a_task_is_claimed_only_by_next_task_and_a_ticket_deferred_only_by_evolution():
    task, ticket = LIFECYCLES["task"], LIFECYCLES["ticket"]
    claimable = {s for s in task.pairs if task.edges[s].get("execute.active") and "claim" in task.edges[s]["execute.active"].via}
    assert claimable == {"ready.ready", "execute.ready"}
    assert all(ticket.edges[s]["plan.waiting"].via == {"defer"} for s in ticket.pairs if "plan.waiting" in ticket.edges[s])


def test_route_walks_free_edges_and_resolve_picks_the_only_state():
    task = LIFECYCLES["task"]
    assert task.route("create.draft", "ready.ready") == ["plan.queued", "ready.ready"]
    assert task.route("ready.ready", "execute.active") == ["discussion.waiting", "execute.active"]  # unclaimed: via a human
    assert task.route("ready.ready", "execute.active", via=["claim"]) == ["execute.active"]
    assert task.route("complete.completed", "ready.ready") is None
    assert task.resolve("plan.queued", "ready", None, subject="task 1") == "ready.ready"
    with pytest.raises(InvalidTransition, match="say which state of complete"):
        task.resolve("execute.active", "complete", None, subject="task 1")
    assert task.resolve("create.draft", "approval", None, subject="task 1") == "approval.waiting"  # only pair
    with pytest.raises(InvalidTransition, match="cannot go from create.draft to any recover state; allowed next"):
        task.resolve("create.draft", "recover", None, subject="task 1")


@pytest.mark.parametrize(
    "table, message",
    [
        ({"create.draft": "plan.nope", "plan.nope": ""}, "unknown state 'nope'"),
        ({"create.draft": "bogus.draft", "bogus.draft": ""}, "unknown status 'bogus'"),
        ({"create.draft": "plan.draft"}, "target is not a declared pair"),
        ({"create.draft": "create.draft"}, "cannot transition to itself"),
        ({"create.draft": "", "plan.draft": ""}, "unreachable from create.draft: plan.draft"),
        ({"create.draft": "plan.draft@teleport", "plan.draft": ""}, "unknown action teleport"),
        ({"create.draft": "plan.draft plan.draft", "plan.draft": ""}, "declared twice"),
        ({"createdraft": ""}, "is not a '<status>.<state>' pair"),
    ],
)
def test_malformed_tables_fail_when_built(table, message):
    with pytest.raises(LifecycleDefinitionError, match=message):
        build_lifecycle("demo", statuses=("create", "plan"), states=("draft",), initial=next(iter(table)),
                        transitions=table, actions=("claim",))


def test_unused_vocabulary_fails_when_built():
    with pytest.raises(LifecycleDefinitionError, match="never used by a pair: review"):
        build_lifecycle("demo", statuses=("create", "review"), states=("draft",), initial="create.draft",
                        transitions={"create.draft": ""})


@pytest.mark.parametrize(
    "table, message",
    [
        ({"create.draft": "complete.active", "complete.active": ""}, r"complete.active is an invalid pattern"),
        ({"create.draft": "archive.draft", "archive.draft": ""}, r"archive.draft is an invalid pattern"),
        ({"create.draft": "execute.active", "execute.active": "approval.waiting", "approval.waiting": "plan.draft",
          "plan.draft": "complete.completed", "complete.completed": ""}, r"approval.waiting resumes only to"),
        ({"create.draft": "execute.active", "execute.active": "recover.ready", "recover.ready": "complete.completed",
          "complete.completed": ""}, r"recovery needs"),
        ({"create.draft": "plan.draft", "plan.draft": ""}, r"plan.draft is a dead end but not a finished state"),
    ],
)
def test_tables_breaking_the_spec_rules_are_refused(table, message):
    lc = build_lifecycle("demo", statuses=sorted({split_pair(p)[0] for p in table}),
                         states=sorted({split_pair(p)[1] for p in table}), initial="create.draft", transitions=table)
    with pytest.raises(LifecycleDefinitionError, match=message):
        check_spec_rules(lc)
