"""Activity use cases (§4.6): record one, record a batch (all or nothing), complete an open one, evaluate one
(§4.6.1), list them in a time range; and the monthly partitions they need.

Recording writes the activity, its cost and time ledger entries and the totals of its task, ticket, sprint
and project in the same transaction; crossing a cost_cap or a hard limit pauses the task (``budgets``),
and the activity is recorded all the same.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg

from odm.domain.accounting import (
    ACCEPTING_STATUSES,
    ActivityComplete,
    ActivityOut,
    ActivityRecord,
    ActivityRecorded,
    BatchOut,
    EvaluationCreate,
    EvaluationOut,
    Rollup,
)
from odm.domain.views import Page
from odm.errors import Conflict, InvalidArgument, NotFound
from odm.services import budgets
from odm.services._budget_pause import pause_for_budget
from odm.services._task_moves import check_claim
from odm.services._work import OdmServices, Work, dec, need, read_only, transactional
from odm.services.sessions import check_activity_refs
from odm.store import decode_cursor, encode_cursor
from odm.store.activities import ACTIVITY_COLUMNS, GIVEN

__all__ = ["complete_activity", "ensure_partitions", "evaluate_activity", "list_activities", "month_of",
           "record_activities", "record_activity"]

BATCH_MAX = 1000
MAX_RANGE = timedelta(days=366)
_ID = re.compile(r"^act-(\d{4})(\d{2})-\d+$")
_NO_PARTITION = "no partition of relation"


def month_of(at: datetime) -> tuple[datetime, datetime]:
    first = at.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    nxt = (first + timedelta(days=32)).replace(day=1)
    return first, nxt


def _range_of(activity_id: str) -> tuple[datetime, datetime]:
    match = _ID.match(activity_id)
    if not match or not 1 <= int(match[2]) <= 12:
        raise NotFound(f"no activity {activity_id}; activity ids look like act-202612-17 (record_activity answers them)")
    return month_of(datetime(int(match[1]), int(match[2]), 1, tzinfo=UTC))


@transactional
async def ensure_partitions(w: Work, *moments: datetime) -> list[str]:
    """The month partitions of ``moments`` (default: this month and next), created where missing."""
    if not moments:
        now = await w.now()
        moments = (now, month_of(now)[1])
    return [await w.activities.ensure_partition(m) for m in moments]


def _values(cmd: ActivityRecord) -> dict[str, Any]:
    data = cmd.model_dump(include=set(GIVEN))
    data["duration_ms"] = cmd.duration()
    data["estimated_cost"], data["actual_cost"] = dec(cmd.estimated_cost), dec(cmd.actual_cost)
    data["artifact_refs"] = list(cmd.artifact_refs)
    return data


async def _explain_refusal(w: Work, cmd: ActivityRecord, where: str = "task_id") -> None:
    task = need(await w.tasks.get(cmd.task_id), "task", cmd.task_id)
    check_claim(task, cmd.claim_token)
    if task["status"] not in ACCEPTING_STATUSES:
        raise InvalidArgument(
            f"{where}: task {cmd.task_id} is {task['status_state']}, not in progress; activities are recorded on tasks "
            f"in {', '.join(ACCEPTING_STATUSES)} (claim it with next_task first)")
    raise Conflict(f"task {cmd.task_id} changed while recording; call again")


async def record_activity(services: OdmServices, cmd: ActivityRecord) -> ActivityRecorded:
    """Record one activity with its ledger entries and roll it up; pause the task if it crossed a limit.

    Raises:
        NotFound (task), InvalidArgument (task not in progress, date out of range), Conflict (stale claim token).
    """
    if cmd.started_at is not None:
        await _known_month(services, cmd.started_at)
    try:
        return await _record_one(services, cmd)
    except asyncpg.CheckViolationError as exc:
        await _refile(services, exc, [cmd])
        return await _record_one(services, cmd)


async def _known_month(services: OdmServices, at: datetime) -> None:
    first = month_of(at)[0]
    if first not in services.known_partitions:
        await ensure_partitions(services, first)
        services.known_partitions.add(first)


@transactional
async def _record_one(w: Work, cmd: ActivityRecord) -> ActivityRecorded:
    if cmd.idempotency_key is not None:
        raise InvalidArgument("idempotency_key: record_activity takes none; send the activity with its key through "
                              "record_activities (--toolsets accounting)")
    if cmd.session_id is not None or cmd.execution_surface_id is not None:
        await check_activity_refs(w, [("", cmd.agent_runtime_id, cmd.session_id, cmd.execution_surface_id)])
    row = await w.activities.record_one(cmd.task_id, ACCEPTING_STATUSES, cmd.claim_token, _values(cmd), cmd.tokens())
    if row is None:
        await _explain_refusal(w, cmd)
    assert row is not None
    data = dict(row) | {"task_id": cmd.task_id}
    notes = [await pause_for_budget(w, cmd.task_id, row["id"], c) for c in budgets.crossings(data)]
    status = need(await w.tasks.get(cmd.task_id), "task", cmd.task_id)["budget_status"] if notes else row["task_budget"]
    return ActivityRecorded(id=row["id"], sequence=row["sequence"], task_actual_cost=row["task_actual"],
                            cost_incomplete=row["task_unknown"] > 0, budget_status=status, paused_for_budget=bool(notes),
                            note="; ".join(notes) or f"recorded {row['id']} on task {cmd.task_id}")


async def record_activities(services: OdmServices, items: list[ActivityRecord]) -> BatchOut:
    """Record a batch: every item or none (each checked; the errors name the item by index and field).

    Raises:
        InvalidArgument (empty or oversized batch, a task not in progress), NotFound (task), Conflict (token).
    """
    if not items or len(items) > BATCH_MAX:
        raise InvalidArgument(f"items: give 1 to {BATCH_MAX} activities, not {len(items)}")
    for first in sorted({month_of(i.started_at)[0] for i in items if i.started_at is not None}):
        await _known_month(services, first)
    try:
        return await _record_batch(services, items)
    except asyncpg.CheckViolationError as exc:
        await _refile(services, exc, items)
        return await _record_batch(services, items)


async def _refile(services: OdmServices, exc: asyncpg.CheckViolationError, items: list[ActivityRecord]) -> None:
    """A month partition went missing (dropped or detached since it was made or seen): make this and next
    month's and those of the items again, so the one retry files them (anything else is raised as it was)."""
    if _NO_PARTITION not in str(exc):
        raise exc
    services.known_partitions.clear()
    await ensure_partitions(services)
    for first in sorted({month_of(i.started_at)[0] for i in items if i.started_at is not None}):
        await _known_month(services, first)


def _check_items(items: list[ActivityRecord], tasks: dict[str, asyncpg.Record]) -> None:
    problems: list[str] = []
    missing = False
    for index, item in enumerate(items):
        task = tasks.get(item.task_id)
        if task is None:
            missing = True
            problems.append(f"items[{index}].task_id: no task {item.task_id}")
        elif task["status"] not in ACCEPTING_STATUSES:
            problems.append(f"items[{index}].task_id: task {item.task_id} is {task['status_state']}, not in progress")
        elif item.claim_token is not None and (task["claimed_by"] is None or task["claim_token"] != item.claim_token):
            problems.append(f"items[{index}].claim_token: {item.claim_token} is not the live claim on {item.task_id}")
    if problems:
        listed = "; ".join(problems[:20]) + (f"; and {len(problems) - 20} more" if len(problems) > 20 else "")
        text = (f"nothing recorded: {listed} (activities are recorded on tasks in {', '.join(ACCEPTING_STATUSES)})")
        raise NotFound(text) if missing and len(problems) == 1 else InvalidArgument(text)


async def _replays(w: Work, items: list[ActivityRecord]) -> tuple[list[ActivityRecord], list[str]]:
    """The items to record and the ids of those recorded before under their idempotency key (keys taken in
    key order, so two batches sharing keys wait for each other instead of deadlocking)."""
    earlier: dict[str, str] = {}
    for key, fingerprint in sorted({(i.idempotency_key, i.fingerprint()) for i in items if i.idempotency_key}):
        found = await w.idempotency.begin("record_activity", key, fingerprint)
        if found is not None:
            earlier[key] = found
    fresh = [i for i in items if i.idempotency_key is None or i.idempotency_key not in earlier]
    return fresh, [earlier[i.idempotency_key] for i in items if i.idempotency_key in earlier]


@transactional
async def _record_batch(w: Work, items: list[ActivityRecord]) -> BatchOut:
    items, replayed = await _replays(w, items)
    if not items:
        return BatchOut(recorded=0, activity_ids=[], rollups=[], replayed=replayed,
                        note=f"already recorded under the same idempotency_key: {', '.join(replayed)}")
    tasks = {t["id"]: t for t in await w.activities.lock_tasks(sorted({i.task_id for i in items}))}
    _check_items(items, tasks)
    await check_activity_refs(w, [(f"items[{i}].", item.agent_runtime_id, item.session_id, item.execution_surface_id)
                                  for i, item in enumerate(items) if item.session_id or item.execution_surface_id])
    now = await w.now()
    ids = await w.activities.next_ids(len(items))
    seq = {k: t["activity_count"] for k, t in tasks.items()}
    records, costs, times = [], [], []
    per: dict[str, dict[str, dict[str, Any]]] = {lvl: defaultdict(lambda: {"cost": Decimal(0), "unknown": 0, "ms": 0, "n": 0})
                                                for lvl in ("task", "ticket", "sprint", "project")}
    for item, number in zip(items, ids, strict=True):
        task = tasks[item.task_id]
        seq[item.task_id] += 1
        values = _values(item)
        started = values["started_at"] = values["started_at"] or now
        key = f"act-{started.astimezone(UTC):%Y%m}-{number}"
        records.append((key, item.task_id, seq[item.task_id], *(values[c] for c in GIVEN), started, now))
        cost, tokens = values["actual_cost"], item.tokens()
        quantity = tokens if tokens is not None else 1
        costs.append((key, started, item.agent_runtime_id, item.task_id, task["ticket_id"], task["sprint_id"],
                      task["project_id"], item.provider, item.model, "tokens" if tokens is not None else "fixed", quantity,
                      cost / quantity if cost is not None and quantity else None, cost))
        if values["duration_ms"] is not None or values["ended_at"] is not None:
            times.append((key, started, item.agent_runtime_id, item.task_id, task["ticket_id"], started,
                          values["ended_at"], values["duration_ms"]))
        for level, level_key in (("task", item.task_id), ("ticket", task["ticket_id"]), ("sprint", task["sprint_id"]),
                                 ("project", task["project_id"])):
            if level_key is None:
                continue
            sums = per[level][level_key]
            sums["cost"] += cost or 0
            sums["unknown"] += cost is None
            sums["ms"] += values["duration_ms"] or 0
            sums["n"] += 1
    await w.activities.copy("activities", ACTIVITY_COLUMNS, records)
    await w.activities.copy("cost_ledger", ("activity_id", "activity_created_at", "agent_runtime_id", "task_id", "ticket_id",
                                            "sprint_id", "project_id", "provider", "model", "charge_type", "quantity",
                                            "unit_cost", "amount"), costs)
    if times:
        await w.activities.copy("time_ledger", ("activity_id", "activity_created_at", "agent_runtime_id", "task_id",
                                                "ticket_id", "started_at", "ended_at", "duration_ms"), times)
    after: dict[str, list[asyncpg.Record]] = {}
    for level in ("task", "ticket", "sprint", "project"):  # the lock order of every recorder
        keys = sorted(per[level])
        if keys:
            level_sums = [per[level][k] for k in keys]
            after[level] = await w.activities.add_totals(level, keys, [x["cost"] for x in level_sums],
                                                         [x["unknown"] for x in level_sums],
                                                         [x["ms"] for x in level_sums], [x["n"] for x in level_sums])
    for item, record in zip(items, records, strict=True):
        if item.idempotency_key:
            await w.idempotency.bind("record_activity", item.idempotency_key, record[0])
    notes = await _pause_crossed(w, items, records, tasks, after)
    rollups = [await _level_rollup(w, level, r["id"]) for level in ("task", "ticket", "sprint", "project")
               for r in after.get(level, [])]
    again = f"; already recorded: {', '.join(replayed)}" if replayed else ""
    return BatchOut(recorded=len(records), activity_ids=[r[0] for r in records], rollups=rollups, replayed=replayed,
                    paused_for_budget=sorted(notes), note=("; ".join(notes.values()) or "recorded") + again)


async def _level_rollup(w: Work, level: str, key: str) -> Rollup:
    return budgets.rollup(level, need(await w.budgets.level(level, key), level, key))


async def _pause_crossed(w: Work, items: list[ActivityRecord], records: list[tuple[Any, ...]], tasks: dict[str, asyncpg.Record],
                         after: dict[str, list[asyncpg.Record]]) -> dict[str, str]:
    """Pause the tasks whose batch took a cap (or a hard limit above them) over; the last activity of the task
    in the batch is named as the one that crossed."""
    last = {item.task_id: record[0] for item, record in zip(items, records, strict=True)}
    notes: dict[str, str] = {}
    for level, rows in after.items():
        for r in rows:
            if not (r["hard_limit"] is not None and r["before"] <= r["hard_limit"] < r["actual_cost"]):
                continue
            kind = "cost_cap" if level == "task" else "hard_limit"
            under = [k for k, t in tasks.items() if k in last and (k if level == "task" else t[f"{level}_id"]) == r["id"]]
            for task_id in under:
                notes[task_id] = await pause_for_budget(
                    w, task_id, last[task_id], (level, r["id"], kind, r["hard_limit"], r["actual_cost"]))
    return notes


@transactional
async def complete_activity(w: Work, cmd: ActivityComplete) -> ActivityOut:
    """The one controlled update: complete an open activity (its time ledger entry is written then).

    Raises:
        NotFound, Conflict (already completed), InvalidArgument (ended before it started).
    """
    start, end = _range_of(cmd.activity_id)
    row = need(await w.activities.find(cmd.activity_id, start, end, lock=True), "activity", cmd.activity_id)
    if row["ended_at"] is not None:
        raise Conflict(f"activity {cmd.activity_id} was completed at {row['ended_at'].isoformat()}; activities are "
                       "append-only (add an evaluation with evaluate_activity, --toolsets accounting)")
    ended = cmd.ended_at or await w.now()
    if ended < row["started_at"]:
        raise InvalidArgument(f"ended_at: {ended.isoformat()} is before the activity started ({row['started_at'].isoformat()})")
    duration = cmd.duration_ms if cmd.duration_ms is not None else int((ended - row["started_at"]).total_seconds() * 1000)
    values: dict[str, Any] = {"ended_at": ended, "result_status": cmd.result_status}
    values |= {k: v for k, v in cmd.model_dump(include={"output_ref", "artifact_refs", "error_code", "error_message",
                                                        "retryable"}, exclude_none=True).items()}
    if row["duration_ms"] is None:
        values["duration_ms"] = duration
    done = await w.activities.complete(cmd.activity_id, row["created_at"], values)
    task = need(await w.tasks.get(row["task_id"]), "task", row["task_id"])
    await w.activities.add_time_ledger(done, task["ticket_id"])
    if row["duration_ms"] is None:  # the time was not counted yet
        await w.activities.add_totals("task", [task["id"]], [Decimal(0)], [0], [duration])
        ticket = need(await w.tickets.get(task["ticket_id"]), "ticket", task["ticket_id"])
        await w.activities.add_totals("ticket", [ticket["id"]], [Decimal(0)], [0], [duration])
        if ticket["sprint_id"]:
            await w.activities.add_totals("sprint", [ticket["sprint_id"]], [Decimal(0)], [0], [duration])
        await w.activities.add_totals("project", [task["project_id"]], [Decimal(0)], [0], [duration])
    return ActivityOut.model_validate(dict(done) | {"note": "completed"})


@transactional
async def evaluate_activity(w: Work, cmd: EvaluationCreate) -> EvaluationOut:
    """Attach an evaluation to an activity (the activity itself never changes). Raises: NotFound."""
    start, end = _range_of(cmd.activity_id)
    row = need(await w.activities.find(cmd.activity_id, start, end), "activity", cmd.activity_id)
    data = cmd.model_dump(exclude={"activity_id"})
    data["findings"], data["corrections"] = list(cmd.findings), list(cmd.corrections)
    saved = await w.evaluations.insert(activity_id=row["id"], activity_created_at=row["created_at"], **data)
    return EvaluationOut.model_validate(dict(saved))


def time_range(start: datetime | None, end: datetime | None, now: datetime) -> tuple[datetime, datetime]:
    """A checked created_at range: default the last 31 days; at most 366 days; end after start.

    Raises:
        InvalidArgument: a range that ends before it starts, is too long, or has no time zone.
    """
    for name, value in (("from", start), ("to", end)):
        if value is not None and value.tzinfo is None:
            raise InvalidArgument(f"{name}: {value.isoformat()} needs a time zone (e.g. 2026-12-03T00:00:00Z)")
    end = end or now + timedelta(minutes=1)
    start = start or end - timedelta(days=31)
    if end <= start:
        raise InvalidArgument(f"to: {end.isoformat()} is not after from ({start.isoformat()}); give a range that ends after it starts")
    if end - start > MAX_RANGE:
        raise InvalidArgument(f"from/to: the range spans {(end - start).days} days; ask for at most 366 days at a time")
    return start, end


@read_only
async def list_activities(w: Work, *, task_id: str | None = None, agent_id: str | None = None,
                          start: datetime | None = None, end: datetime | None = None, cursor: str | None = None,
                          limit: int = 20) -> Page[ActivityOut]:
    """Activities in a created_at range (pruned to its partitions), oldest first. Raises: InvalidArgument."""
    lo, hi = time_range(start, end, await w.now())
    after = decode_cursor(cursor, 2)
    if after is not None:
        try:
            after = (datetime.fromisoformat(str(after[0])), str(after[1]))
        except ValueError:
            raise InvalidArgument("cursor is not one this server returned; pass next_cursor from the previous page") from None
    rows = await w.activities.page(task_id=task_id, agent_id=agent_id, start=lo, end=hi, after=after, limit=limit + 1)
    items = [ActivityOut.model_validate(dict(r)) for r in rows[:limit]]
    last = items[-1] if items else None
    return Page[ActivityOut](items=items, next_cursor=encode_cursor(last.created_at.isoformat(), last.id)
                             if last and len(rows) > limit else None)
