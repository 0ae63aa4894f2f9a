"""Automatic moves, as data: parents (ticket, sprint, project) follow their children, and a task whose
dependency ended without completing is blocked until it is released.

Each rule names the pairs it moves from, the pair it moves to and the condition on the children that
triggers it; the first rule whose condition holds wins. The rules are checked against the lifecycle
tables when built (every source a declared pair, every move a route of the table, free or ``follow``
edges), so a rule cannot take a parent somewhere its table does not go. Served under ``automatic`` in
``odm://lifecycles/{kind}``.

Children counted: a ticket's tasks; a sprint's and a project's tickets. Moves go only to ``execute``
and ``review``: approval, completion and archive stay human decisions (§5.6), and a parent a human
paused, blocked, deferred or closed is left where it is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from odm.domain.lifecycles.machine import Lifecycle

__all__ = ["DEAD", "FINISHED", "FOLLOWS", "Follow", "check_follows", "describe_follows", "follow_target"]

FINISHED = ("complete.completed", "complete.cancelled", "complete.failed")
DEAD = ("complete.cancelled", "complete.failed")  # finished without completing: a dependency that will never be met
_STARTED = ("execute", "review", "test", "recover")  # task statuses of work under way
_PAST_EXECUTE = ("review", "approval", "complete", "archive")  # ticket statuses whose execution is over


def _any_started(pairs: list[str]) -> bool:  # execute.ready waits for a claim: not under way yet
    return any(p.split(".")[0] in _STARTED and p != "execute.ready" for p in pairs)


def _any_open(pairs: list[str]) -> bool:
    return any(p not in FINISHED for p in pairs)


def _all_finished(pairs: list[str]) -> bool:
    return bool(pairs) and all(p in FINISHED for p in pairs)


def _any_executing(pairs: list[str]) -> bool:
    return any(p.split(".")[0] == "execute" for p in pairs)


def _all_past_execute(pairs: list[str]) -> bool:
    return bool(pairs) and all(p.split(".")[0] in _PAST_EXECUTE for p in pairs) and not all(p in DEAD for p in pairs)


@dataclass(frozen=True)
class Follow:
    sources: tuple[str, ...]
    target: str
    when: Callable[[list[str]], bool]
    text: str  # the condition, for the lifecycle resource and the effects


_NOT_STARTED = ("create.draft", "plan.draft", "plan.queued", "ready.ready")
_GROUP_RULES = (
    Follow(("create.draft", "plan.draft", "ready.ready"), "execute.active", _any_executing,
           "one of its tickets is in execute"),
    Follow(("review.active",), "execute.active", _any_executing,
           "one of its tickets went back to execute (rework, a revived or reopened task)"),
    Follow(("execute.active",), "review.active", _all_past_execute,
           "every one of its tickets is in review, approval, complete or archive (not all cancelled)"),
)

FOLLOWS: Mapping[str, tuple[Follow, ...]] = MappingProxyType({
    "ticket": (
        Follow(_NOT_STARTED, "execute.active", _any_started,
               "one of its tasks is under way (claimed: execute other than execute.ready, review, test or recover)"),
        Follow(("review.ready", "review.active", "review.rework", "approval.waiting"), "execute.active", _any_open,
               "one of its tasks is open again (a task added or revived under it)"),
        Follow(("execute.active", "execute.waiting", "execute.blocked"), "review.ready", _all_finished,
               "every one of its tasks is complete.completed, complete.cancelled or complete.failed"),
    ),
    "sprint": _GROUP_RULES,
    "project": _GROUP_RULES,
})

# The task rules are driven by the dependency graph, not by children; they are documented here with the others.
TASK_RULES = (
    {"from": ["plan.queued"], "to": "plan.blocked",
     "when": "a task it depends on ends complete.cancelled or complete.failed (the reason names it)"},
    {"from": ["plan.blocked"], "to": "plan.queued",
     "when": "the dead dependency is removed (update_task depends_on) or revived; it then becomes ready as usual "
             "when its other dependencies are complete"},
)


def follow_target(kind: str, pair: str, children: list[str]) -> tuple[str, str] | None:
    """Where a ``kind`` at ``pair`` goes given its children's pairs, and why; None to stay."""
    for rule in FOLLOWS.get(kind, ()):
        if pair in rule.sources and rule.when(children):
            return rule.target, rule.text
    return None


def check_follows(lifecycles: Mapping[str, Lifecycle]) -> None:
    """Every rule moves between declared pairs along a route of the table (free or ``follow`` edges).

    Raises:
        ValueError: naming the kind and the rule that its table cannot follow.
    """
    for kind, rules in FOLLOWS.items():
        lc = lifecycles[kind]
        for rule in rules:
            for source in rule.sources:
                if source not in lc.edges or lc.route(source, rule.target, via=("follow",)) is None:
                    raise ValueError(f"lifecycle {kind}: automatic move {source} -> {rule.target} is not in its table")


def describe_follows(kind: str, extra: Iterable[Mapping[str, object]] = ()) -> list[dict[str, object]]:
    """The automatic moves of ``kind``, JSON-ready: from, to, when."""
    rules: list[dict[str, object]] = [{"from": list(r.sources), "to": r.target, "when": r.text} for r in FOLLOWS.get(kind, ())]
    if kind == "task":
        rules += [dict(r) for r in TASK_RULES]
    return rules + [dict(r) for r in extra]
