"""Every lifecycle of the work graph, as data, derived from blueprint §5; checked at import.

Sources: §5.2/5.3 (global vocabularies), §5.4 (invalid patterns), §5.5.1 ticket, §5.5.2 task,
§5.5.8 discussion thread, §5.5.9 + §4.3B idea (union of both flows), §5.5.5 escalation request, §5.5.7 knowledge
object, §5.5.10 research task, §5.5.3 agent runtime, §5.5.4 session, §5.6 (human gates and the resume rule),
§5.7 (recovery pairs). Project and sprint have no 5.5.x set: they use the global
vocabularies in the ticket's shape (create -> plan -> ready -> execute -> review -> complete ->
archive) without its approval gate.

Judgement calls beyond the typical flows, all deliberate:

* any non-terminal pair may be cancelled (``complete.cancelled``): §5.3 "cancelled ->
  intentionally stopped" and the §5.6 resume rule name it; for tickets only ``evolve_ticket``
  cancels, defers (``plan.waiting``) and revives, because those also move the tasks (§11);
* a task may complete straight from ``execute.active`` or ``review.active``: review and test are
  validation phases a task takes when its acceptance criteria need them, not a toll on every task;
* within a status, §5.3 states move freely where the status allows them (paused, waiting,
  blocked for execution; a claim released returns ``execute.active -> ready.ready``);
* an idea has no state vocabulary in the spec; each idea status carries one fixed global state;
* a research task's "Rework" (§5.5.10) has no state of its own: review sends it back to ``execute.active``;
  a recurring one returns from ``complete.completed`` to ``ready.queued`` for its next cycle (the service refuses
  that for a task without ``recurrence``), and one with ``review_required`` cannot skip review (also the service);
* a knowledge object under review is ``review.draft``; "Rework" is ``review.rework``; a ready object may go back to
  review (``review.draft``) when its content is revised; a draft may be archived without review;
* a runtime is spawned ready (``ready.ready``); its recovery is the §5.7 trio (``recover.ready`` -> ``recover.retry``
  -> ``execute.active``, or ``recover.failed``); a session's recovery is its own §5.5.4 pair
  (``recover.crashed`` -> ``recover.recovering`` -> ``execute.active``): the session vocabulary has no
  ready/retry/failed states, so a kind that uses one pair of the §5.7 trio must have all three;
* automatic moves (``follow`` edges and the rules of ``follow.py``): parents follow their children into
  execute and review and back; a task whose dependency is cancelled or failed waits in ``plan.blocked``.
"""

from __future__ import annotations

from types import MappingProxyType

from odm.domain.lifecycles.follow import check_follows
from odm.domain.lifecycles.machine import Lifecycle, build_lifecycle, split_pair
from odm.errors import LifecycleDefinitionError

__all__ = [
    "ACTIONS",
    "GLOBAL_STATES",
    "GLOBAL_STATUSES",
    "INVALID_PATTERNS",
    "KINDS",
    "LIFECYCLES",
    "RECOVERY_PAIRS",
    "RESUME_TARGETS",
    "check_spec_rules",
    "lifecycle",
]

# §5.2, §5.3
GLOBAL_STATUSES = ("create", "plan", "ready", "execute", "review", "test", "discussion", "approval", "recover", "complete", "archive")
GLOBAL_STATES = ("draft", "queued", "ready", "active", "paused", "waiting", "blocked", "retry", "rework", "failed", "completed",
                 "cancelled", "archived")
# §5.4 invalid pattern examples, plus the rule they illustrate: archive holds only archived things
INVALID_PATTERNS = frozenset({("complete", "active"), ("create", "completed"), ("archive", "active")})
# §5.6: where a human gate resumes to (for kinds that have the pair)
GATES = ("discussion.waiting", "approval.waiting")
RESUME_TARGETS = frozenset({"execute.ready", "execute.active", "review.ready", "complete.completed", "complete.cancelled"})
# §5.7
RECOVERY_PAIRS = ("recover.ready", "recover.retry", "recover.failed")

# Actions that own reserved edges, and what a caller should do instead of a plain transition.
ACTIONS = MappingProxyType({
    "claim": "next_task (it claims the task and starts it)",
    "defer": "evolve_ticket with action=defer (it also pauses the ticket's tasks)",
    "cancel": "evolve_ticket with action=cancel (it also cancels the ticket's open tasks)",
    "merge": "evolve_ticket with action=merge (it moves the tasks and the plan)",
    "revive": "evolve_ticket with action=revive (it also restores the tasks)",
    "promote": "promote_idea / promote_thread, --toolsets planning (they create the ticket and link it)",
    "follow": "the ODM itself, when the children or dependencies change (see automatic in odm://lifecycles/{kind})",
    "escalate": "escalate (it opens the request and moves its task to the gate)",
    "decide": "decide (it writes the Human Decision and resumes the task)",
    "expire": "the expiry check (an escalation past its due_at expires by itself)",
})

_PROJECT = {
    "create.draft": "plan.draft ready.ready complete.cancelled",
    "plan.draft": "ready.ready complete.cancelled",
    "ready.ready": "execute.active plan.draft complete.cancelled",
    "execute.active": "execute.paused execute.blocked review.active complete.cancelled",
    "execute.paused": "execute.active complete.cancelled",
    "execute.blocked": "execute.active execute.paused complete.cancelled",
    "review.active": "complete.completed execute.active complete.cancelled",
    "complete.completed": "archive.archived",
    "complete.cancelled": "archive.archived",
    "archive.archived": "",
}

_SPRINT = {
    "create.draft": "plan.draft ready.ready complete.cancelled",
    "plan.draft": "ready.ready complete.cancelled",
    "ready.ready": "execute.active plan.draft complete.cancelled",
    "execute.active": "execute.blocked review.active complete.cancelled",
    "execute.blocked": "execute.active complete.cancelled",
    "review.active": "complete.completed execute.active",
    "complete.completed": "archive.archived",
    "complete.cancelled": "archive.archived",
    "archive.archived": "",
}

# §5.5.1: Create -> Plan -> Ready -> Execute -> Review -> Approval -> Complete -> Archive; Review -> Rework -> Execute
_TICKET = {
    "create.draft": "plan.draft plan.queued ready.ready plan.waiting@defer complete.cancelled@cancel,merge",
    "plan.draft": "plan.queued ready.ready plan.waiting@defer complete.cancelled@cancel,merge",
    "plan.queued": "plan.draft ready.ready plan.waiting@defer complete.cancelled@cancel,merge",
    "plan.waiting": "plan.queued@revive complete.cancelled@cancel,merge",
    "ready.ready": "execute.active plan.queued plan.waiting@defer complete.cancelled@cancel,merge",
    "execute.active": "execute.waiting execute.blocked review.ready plan.waiting@defer complete.cancelled@cancel,merge",
    "execute.waiting": "execute.active execute.blocked plan.waiting@defer complete.cancelled@cancel,merge",
    "execute.blocked": "execute.active execute.waiting plan.waiting@defer complete.cancelled@cancel,merge",
    "review.ready": "review.active complete.cancelled@cancel,merge",
    "review.active": "approval.waiting review.rework complete.cancelled@cancel,merge",
    "review.rework": "execute.active complete.cancelled@cancel,merge",
    "approval.waiting": "execute.active review.ready complete.completed complete.cancelled@cancel,merge",
    "complete.completed": "archive.archived",
    "complete.cancelled": "archive.archived plan.queued@revive",
    "archive.archived": "",
}

# §5.5.2: Create -> Plan -> Ready -> Execute <-> Discussion/Approval/Recover; Execute -> Review -> Test
# -> Complete; Review -> Rework -> Execute; Recover -> Failed. A task waits on its dependencies in
# plan.queued; a gated one waits in discussion.waiting / approval.waiting before it may run; one whose
# dependency ended without completing (cancelled, failed) is blocked in plan.blocked until released.
_TASK = {
    "create.draft": "plan.draft plan.queued",
    "plan.draft": "plan.queued complete.cancelled",
    "plan.queued": "plan.draft ready.ready discussion.waiting approval.waiting plan.paused plan.blocked@follow complete.cancelled",
    "plan.blocked": "plan.queued@follow plan.paused complete.cancelled",
    "plan.paused": "plan.queued complete.cancelled",
    "ready.ready": "execute.active@claim plan.queued discussion.waiting approval.waiting ready.paused complete.cancelled",
    "ready.paused": "ready.ready plan.queued complete.cancelled",
    "execute.ready": "execute.active@claim plan.queued execute.paused discussion.waiting approval.waiting complete.cancelled",
    "execute.active": (
        "execute.paused execute.waiting execute.blocked discussion.waiting approval.waiting review.ready "
        "complete.completed recover.ready ready.ready complete.cancelled"
    ),
    "execute.paused": "execute.active execute.ready complete.cancelled",
    "execute.waiting": "execute.active execute.blocked discussion.waiting complete.cancelled",
    "execute.blocked": "execute.active execute.waiting discussion.waiting recover.ready complete.cancelled",
    "discussion.waiting": "discussion.active execute.ready execute.active review.ready complete.completed complete.cancelled",
    "discussion.active": "discussion.waiting execute.ready execute.active review.ready complete.completed complete.cancelled",
    "approval.waiting": "execute.ready execute.active review.ready complete.completed complete.cancelled",
    "review.ready": "review.active complete.cancelled",
    "review.active": "test.ready review.rework complete.completed discussion.waiting approval.waiting complete.cancelled",
    "review.rework": "execute.ready execute.active complete.cancelled",
    "test.ready": "test.active complete.cancelled",
    "test.active": "complete.completed review.rework recover.ready complete.cancelled",
    "recover.ready": "recover.retry recover.failed execute.ready discussion.waiting complete.cancelled",
    "recover.retry": "execute.active recover.failed complete.cancelled",
    "recover.failed": "recover.retry complete.failed discussion.waiting complete.cancelled",
    "complete.completed": "",
    "complete.failed": "",
    "complete.cancelled": "plan.queued@revive",
}

# §5.5.8: Create -> Active; Active <-> Waiting; Active -> Review -> Promoted | Closed -> Archived
_THREAD = {
    "create.active": "discussion.active",
    "discussion.active": "discussion.waiting review.active",
    "discussion.waiting": "discussion.active",
    "review.active": "complete.promoted@promote complete.closed",
    "complete.promoted": "archive.archived",
    "complete.closed": "archive.archived",
    "archive.archived": "",
}

# §5.5.9 and §4.3B (their union): one fixed state per idea status
_IDEA = {
    "new.draft": "under_discussion.active deferred.paused rejected.cancelled",
    "under_discussion.active": "approved.ready deferred.paused rejected.cancelled",
    "approved.ready": "ticketed.completed@promote",
    "deferred.paused": "under_discussion.active rejected.cancelled archived.archived",
    "rejected.cancelled": "archived.archived",
    "ticketed.completed": "archived.archived",
    "archived.archived": "",
}

# §5.5.5: Create -> Waiting -> (HumanResponds) Responded -> Completed -> Archived; Waiting -> Expired | Cancelled.
# The request waits under the gate of its trigger (discussion or approval, §5.6); a human picking it up makes it
# active; a decision makes it responded and, once the task has resumed, completed (both inside decide).
_ESCALATION = {
    "create.queued": "discussion.waiting@escalate approval.waiting@escalate complete.cancelled",
    "discussion.waiting": "discussion.active discussion.responded@decide complete.expired@expire complete.cancelled",
    "discussion.active": "discussion.waiting discussion.responded@decide complete.expired@expire complete.cancelled",
    "discussion.responded": "complete.completed@decide",
    "approval.waiting": "approval.active approval.responded@decide complete.expired@expire complete.cancelled",
    "approval.active": "approval.waiting approval.responded@decide complete.expired@expire complete.cancelled",
    "approval.responded": "complete.completed@decide",
    "complete.completed": "archive.archived",
    "complete.expired": "archive.archived",
    "complete.cancelled": "archive.archived",
    "archive.archived": "",
}

# §5.5.10: Create -> Ready -> Execute -> Review -> Complete -> Archive; Review -> Rework -> Execute; recurring ones
# return to ready after each completed cycle
_RESEARCH_TASK = {
    "create.draft": "ready.queued complete.cancelled",
    "ready.queued": "execute.active create.draft complete.cancelled",
    "execute.active": "execute.waiting execute.blocked review.active complete.completed complete.cancelled",
    "execute.waiting": "execute.active execute.blocked complete.cancelled",
    "execute.blocked": "execute.active execute.waiting complete.cancelled",
    "review.active": "complete.completed execute.active complete.cancelled",
    "complete.completed": "ready.queued archive.archived",
    "complete.cancelled": "archive.archived",
    "archive.archived": "",
}

# §5.5.3: Spawn -> Ready -> Active, Active <-> Waiting/Paused, Active -> Recover -> Retry -> Active | Failed
_RUNTIME = {
    "create.queued": "ready.ready complete.cancelled",
    "ready.ready": "execute.active complete.cancelled",
    "execute.active": "execute.paused execute.blocked discussion.waiting recover.ready complete.completed complete.cancelled",
    "execute.paused": "execute.active recover.ready complete.cancelled",
    "execute.blocked": "execute.active execute.paused recover.ready complete.cancelled",
    "discussion.waiting": "execute.active complete.cancelled",
    "recover.ready": "recover.retry recover.failed complete.cancelled",
    "recover.retry": "execute.active recover.failed complete.cancelled",
    "recover.failed": "archive.archived",
    "complete.completed": "archive.archived",
    "complete.cancelled": "archive.archived",
    "archive.archived": "",
}

# §5.5.7: Create -> Review -> Ready | Rework; Rework -> Review; Ready -> Archive
_KNOWLEDGE_OBJECT = {
    "create.draft": "review.draft archive.archived",
    "review.draft": "ready.ready review.rework archive.archived",
    "review.rework": "review.draft archive.archived",
    "ready.ready": "review.draft archive.archived",
    "archive.archived": "",
}

# §5.5.4: Start -> Active, Active <-> Idle/Paused/WaitingHuman, Active -> Crashed -> Recovering -> Active, Closed
_SESSION = {
    "create.queued": "ready.idle execute.active complete.closed",
    "ready.idle": "execute.active complete.closed",
    "execute.active": "execute.idle execute.paused execute.blocked discussion.waiting recover.crashed complete.closed",
    "execute.idle": "execute.active recover.crashed complete.closed",
    "execute.paused": "execute.active recover.crashed complete.closed",
    "execute.blocked": "execute.active recover.crashed complete.closed",
    "discussion.waiting": "execute.active",
    "recover.crashed": "recover.recovering complete.closed",
    "recover.recovering": "execute.active recover.crashed complete.closed",
    "complete.closed": "archive.archived",
    "archive.archived": "",
}

_DEFINITIONS = {
    "project": (GLOBAL_STATUSES[:5] + ("complete", "archive"),
                ("draft", "ready", "active", "paused", "blocked", "completed", "cancelled", "archived"), "create.draft", _PROJECT),
    "sprint": (GLOBAL_STATUSES[:5] + ("complete", "archive"),
               ("draft", "ready", "active", "blocked", "completed", "cancelled", "archived"), "create.draft", _SPRINT),
    "ticket": (("create", "plan", "ready", "execute", "review", "approval", "complete", "archive"),
               ("draft", "queued", "ready", "active", "waiting", "blocked", "rework", "completed", "cancelled", "archived"),
               "create.draft", _TICKET),
    "task": (("create", "plan", "ready", "execute", "discussion", "approval", "review", "test", "recover", "complete"),
             ("draft", "queued", "ready", "active", "paused", "waiting", "blocked", "retry", "rework", "failed", "completed", "cancelled"),
             "create.draft", _TASK),
    "discussion_thread": (("create", "discussion", "review", "complete", "archive"),
                          ("active", "waiting", "promoted", "closed", "archived"), "create.active", _THREAD),
    "idea": (("new", "under_discussion", "approved", "ticketed", "deferred", "rejected", "archived"),
             ("draft", "active", "ready", "completed", "paused", "cancelled", "archived"), "new.draft", _IDEA),
    "escalation": (("create", "discussion", "approval", "complete", "archive"),
                   ("queued", "waiting", "active", "responded", "expired", "cancelled", "completed", "archived"),
                   "create.queued", _ESCALATION),
    "research_task": (("create", "ready", "execute", "review", "complete", "archive"),
                      ("draft", "queued", "active", "waiting", "blocked", "completed", "cancelled", "archived"),
                      "create.draft", _RESEARCH_TASK),
    "knowledge_object": (("create", "review", "ready", "archive"), ("draft", "ready", "rework", "archived"),
                         "create.draft", _KNOWLEDGE_OBJECT),
    "runtime": (("create", "ready", "execute", "discussion", "recover", "complete", "archive"),
                ("queued", "ready", "active", "paused", "waiting", "blocked", "retry", "failed", "completed", "cancelled",
                 "archived"), "create.queued", _RUNTIME),
    "session": (("create", "ready", "execute", "discussion", "recover", "complete", "archive"),
                ("queued", "active", "idle", "paused", "waiting", "blocked", "crashed", "recovering", "closed", "archived"),
                "create.queued", _SESSION),
}

_TERMINAL_STATES = frozenset({"completed", "cancelled", "failed", "archived", "promoted", "closed", "expired"})


def check_spec_rules(lc: Lifecycle) -> None:
    """The §5.4/5.6/5.7 rules a table must satisfy beyond being well formed."""

    def fail(message: str) -> LifecycleDefinitionError:
        return LifecycleDefinitionError(f"lifecycle {lc.kind}: {message}")

    for pair in lc.pairs:
        status, state = split_pair(pair)
        archive_mismatch = lc.kind != "idea" and (status == "archive") != (state == "archived")
        if (status, state) in INVALID_PATTERNS or archive_mismatch:
            raise fail(f"{pair} is an invalid pattern (§5.4)")
        if status == "complete" and state not in _TERMINAL_STATES:
            raise fail(f"{pair}: complete holds only finished states (§5.4)")
    for pair in lc.terminal:
        if split_pair(pair)[1] not in _TERMINAL_STATES:
            raise fail(f"{pair} is a dead end but not a finished state")
    for gate in GATES:
        status = split_pair(gate)[0]
        if status not in lc.statuses or "execute" not in lc.statuses:  # a gate pauses execution
            continue
        if gate not in lc.edges:
            raise fail(f"human gate {gate} is missing (§5.6)")
        for pair in (p for p in lc.pairs if split_pair(p)[0] == status):
            exits = {t for t in lc.edges[pair] if split_pair(t)[0] != status} - RESUME_TARGETS
            if exits:
                raise fail(f"{pair} resumes only to {sorted(RESUME_TARGETS)} (§5.6), not {sorted(exits)}")
    uses_trio = any(p in lc.edges for p in RECOVERY_PAIRS)  # a session recovers by crashed -> recovering instead
    if "recover" in lc.statuses and uses_trio and any(p not in lc.edges for p in RECOVERY_PAIRS):
        raise fail(f"recovery needs {', '.join(RECOVERY_PAIRS)} (§5.7)")
    for src, edges in lc.edges.items():
        for target, edge in edges.items():
            if edge.via - set(ACTIONS):
                raise fail(f"{src} -> {target}: unknown action")


def _build() -> dict[str, Lifecycle]:
    built = {}
    for kind, (statuses, states, initial, table) in _DEFINITIONS.items():
        lc = build_lifecycle(kind, statuses=statuses, states=states, initial=initial, transitions=table,
                             actions=ACTIONS, hints=ACTIONS)
        check_spec_rules(lc)
        built[kind] = lc
    try:
        check_follows(built)
    except ValueError as exc:
        raise LifecycleDefinitionError(str(exc)) from None
    return built


LIFECYCLES: MappingProxyType[str, Lifecycle] = MappingProxyType(_build())
KINDS = tuple(LIFECYCLES)


def lifecycle(kind: str) -> Lifecycle:
    """The lifecycle of ``kind``. Raises KeyError for a kind without one."""
    return LIFECYCLES[kind]
