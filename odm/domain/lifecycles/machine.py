"""The lifecycle engine: a kind's (status, state) pairs and transitions, checked when built.

A lifecycle is data (see ``odm.lifecycles``). ``build_lifecycle`` refuses a table that names an
unknown status or state, a pair it does not declare, a self-loop, an unreachable pair or a
non-terminal dead end, so a malformed table fails at import. ``Lifecycle.check`` is the single
gate every status/state change goes through.

An edge may be *reserved*: written ``"target@action"`` it is taken only by that action (e.g. a
task enters ``execute.active`` only when ``next_task`` claims it, a ticket is deferred only by
``evolve_ticket``), never by a plain ``transition``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from odm.errors import InvalidTransition, LifecycleDefinitionError

__all__ = ["Edge", "Lifecycle", "build_lifecycle", "split_pair"]


def split_pair(pair: str) -> tuple[str, str]:
    status, sep, state = pair.partition(".")
    if not sep or not status or not state or "." in state:
        raise LifecycleDefinitionError(f"{pair!r} is not a '<status>.<state>' pair")
    return status, state


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    via: frozenset[str] = frozenset()  # empty: a free move; else only these actions take it

    def allows(self, via: str | None) -> bool:
        return not self.via or via in self.via


@dataclass(frozen=True)
class Lifecycle:
    kind: str
    statuses: tuple[str, ...]
    states: tuple[str, ...]
    initial: str
    pairs: tuple[str, ...]
    edges: Mapping[str, Mapping[str, Edge]]
    hints: Mapping[str, str] = field(default_factory=dict)  # action -> how to take its reserved edges

    @property
    def terminal(self) -> tuple[str, ...]:
        return tuple(p for p in self.pairs if not self.edges[p])

    def next(self, pair: str) -> tuple[str, ...]:
        """Pairs a plain ``transition`` may move ``pair`` to."""
        return tuple(t for t, e in self.edges.get(pair, {}).items() if not e.via)

    def describe_next(self, pair: str) -> str:
        parts = [t if not e.via else f"{t} (via {'/'.join(sorted(e.via))})" for t, e in self.edges.get(pair, {}).items()]
        return ", ".join(parts) or "nothing (terminal)"

    def check(self, source: str, target: str, *, subject: str, via: str | None = None) -> Edge:
        """The edge ``source -> target`` if ``via`` (None = a plain transition) may take it.

        Raises:
            InvalidTransition: no such edge, or it is reserved to another action.
        """
        if target not in self.edges:
            raise InvalidTransition(
                f"{subject}: {target} is not a {self.kind} status.state; allowed next from {source}: "
                f"{self.describe_next(source)} (read odm://lifecycles/{self.kind})"
            )
        edge = self.edges.get(source, {}).get(target)
        if edge is None:
            raise InvalidTransition(
                f"{subject} cannot go from {source} to {target}; allowed next: {self.describe_next(source)}"
            )
        if not edge.allows(via):
            actions = sorted(edge.via)
            how = "; ".join(self.hints.get(a, a) for a in actions)
            raise InvalidTransition(f"{subject} moves from {source} to {target} only through {how}")
        return edge

    def route(self, source: str, target: str, *, via: Iterable[str] = ()) -> list[str] | None:
        """Shortest list of pairs after ``source`` ending at ``target`` over free edges (plus ``via`` ones)."""
        allowed = set(via)
        previous: dict[str, str | None] = {source: None}
        queue = deque([source])
        while queue:
            node = queue.popleft()
            if node == target:
                path = []
                while node != source:
                    path.append(node)
                    node = previous[node]  # type: ignore[assignment]
                return list(reversed(path))
            for nxt, edge in self.edges.get(node, {}).items():
                if nxt not in previous and (not edge.via or edge.via & allowed):
                    previous[nxt] = node
                    queue.append(nxt)
        return None

    def resolve(self, source: str, status: str, state: str | None, *, subject: str) -> str:
        """The target pair named by ``status`` (+ ``state``); a lone status picks its only next pair.

        Raises:
            InvalidTransition: the status is unknown, or ``state`` is needed to choose.
        """
        if state is not None:
            return f"{status}.{state}"
        if status not in self.statuses:
            raise InvalidTransition(
                f"{subject}: {status!r} is not a {self.kind} status; allowed next from {source}: {self.describe_next(source)}"
            )
        candidates = [t for t in self.edges.get(source, {}) if split_pair(t)[0] == status]
        if not candidates:
            anywhere = [p for p in self.pairs if split_pair(p)[0] == status]
            if len(anywhere) == 1:
                return anywhere[0]  # check() then says why it cannot go there
            raise InvalidTransition(
                f"{subject} cannot go from {source} to any {status} state; allowed next: {self.describe_next(source)}"
            )
        if len(candidates) > 1:
            raise InvalidTransition(
                f"{subject}: say which state of {status} to move to; allowed next from {source}: {self.describe_next(source)}"
            )
        return candidates[0]

    def describe(self) -> dict[str, Any]:
        """JSON-ready description: vocabularies, pairs, initial and terminal pairs, transitions."""
        return {
            "kind": self.kind,
            "statuses": list(self.statuses),
            "states": list(self.states),
            "initial": self.initial,
            "terminal": list(self.terminal),
            "pairs": list(self.pairs),
            "transitions": {p: list(self.next(p)) for p in self.pairs},
            "reserved": {
                p: {t: {"via": sorted(e.via), "how": "; ".join(self.hints.get(a, a) for a in sorted(e.via))}
                    for t, e in self.edges[p].items() if e.via}
                for p in self.pairs
                if any(e.via for e in self.edges[p].values())
            },
        }


def build_lifecycle(
    kind: str,
    *,
    statuses: Iterable[str],
    states: Iterable[str],
    initial: str,
    transitions: Mapping[str, str],
    actions: Iterable[str] = (),
    hints: Mapping[str, str] | None = None,
) -> Lifecycle:
    """Build and check a lifecycle. ``transitions`` maps each pair to its space-separated targets.

    Raises:
        LifecycleDefinitionError: what is wrong with the table, naming the kind and the pair.
    """
    statuses, states, known_actions = tuple(statuses), tuple(states), set(actions)

    def fail(message: str) -> LifecycleDefinitionError:
        return LifecycleDefinitionError(f"lifecycle {kind}: {message}")

    def check_pair(pair: str) -> None:
        try:
            status, state = split_pair(pair)
        except LifecycleDefinitionError as exc:
            raise fail(str(exc)) from None
        if status not in statuses:
            raise fail(f"{pair}: unknown status {status!r}")
        if state not in states:
            raise fail(f"{pair}: unknown state {state!r}")

    pairs = tuple(transitions)
    for pair in pairs:
        check_pair(pair)
    if initial not in transitions:
        raise fail(f"initial pair {initial} is not declared")
    edges: dict[str, dict[str, Edge]] = {}
    for source, targets in transitions.items():
        edges[source] = {}
        for word in targets.split():
            target, _, via_text = word.partition("@")
            via = frozenset(v for v in via_text.split(",") if v)
            if target not in transitions:
                raise fail(f"{source} -> {target}: target is not a declared pair")
            if target == source:
                raise fail(f"{source} -> {target}: a pair cannot transition to itself")
            if target in edges[source]:
                raise fail(f"{source} -> {target}: declared twice")
            if via - known_actions:
                raise fail(f"{source} -> {target}: unknown action {', '.join(sorted(via - known_actions))}")
            edges[source][target] = Edge(source, target, via)
    reached = {initial}
    queue = deque([initial])
    while queue:
        for target in edges[queue.popleft()]:
            if target not in reached:
                reached.add(target)
                queue.append(target)
    unreachable = [p for p in pairs if p not in reached]
    if unreachable:
        raise fail(f"unreachable from {initial}: {', '.join(unreachable)}")
    unused = [s for s in statuses if not any(split_pair(p)[0] == s for p in pairs)]
    unused += [s for s in states if not any(split_pair(p)[1] == s for p in pairs)]
    if unused:
        raise fail(f"vocabulary never used by a pair: {', '.join(unused)}")
    return Lifecycle(kind, statuses, states, initial, pairs, edges, dict(hints or {}))
