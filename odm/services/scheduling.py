"""The scheduler (§15): attach a schedule to a task or research task, hand out due occurrences exactly once,
fire events, list and cancel. See ``odm.domain.scheduling`` for the missed-occurrence policy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg

from odm.domain.scheduling import DueOccurrence, ScheduleCreate, ScheduleOut, coalesce_due, first_due, next_cron
from odm.domain.views import Page
from odm.errors import Conflict, InvalidArgument
from odm.services._work import Work, need, read_only, transactional
from odm.store import decode_cursor, encode_cursor

__all__ = ["DUE_MAX", "cancel_schedule", "due_schedules", "fire_event", "list_schedules", "schedule"]

DUE_MAX = 200
_EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
_AHEAD = timedelta(days=366)


def _out(row: asyncpg.Record) -> ScheduleOut:
    return ScheduleOut.model_validate(dict(row))


@transactional
async def schedule(w: Work, cmd: ScheduleCreate) -> ScheduleOut:
    """Raises: NotFound (task, research task), Conflict (the target is finished), IdempotencyMismatch."""
    if cmd.idempotency_key:
        existing = await w.idempotency.begin("schedule", cmd.idempotency_key, cmd.fingerprint())
        if existing:
            return _out(need(await w.schedules.get(existing), "schedule", existing))
    if cmd.task_id:
        target = need(await w.tasks.get(cmd.task_id), "task", cmd.task_id)
        closed = target["status"] == "complete"
    else:
        assert cmd.research_task_id is not None
        target = need(await w.research.get(cmd.research_task_id), "research_task", cmd.research_task_id)
        closed = target["status"] == "archive" or target["status_state"] == "complete.cancelled"
    if closed:
        raise Conflict(f"{'task' if cmd.task_id else 'research task'} {target['id']} is {target['status_state']}; "
                       "schedule open work only")
    due = first_due(cmd.mode, run_at=cmd.run_at, cron_expr=cmd.cron_expr, tz=cmd.timezone, now=await w.now())
    row = await w.schedules.insert(
        task_id=cmd.task_id, research_task_id=cmd.research_task_id, mode=cmd.mode, run_at=cmd.run_at,
        cron_expr=cmd.cron_expr, timezone=cmd.timezone, dependency_event=cmd.dependency_event,
        idle_policy_id=cmd.idle_policy_id, max_delay_sec=cmd.max_delay_sec, next_due_at=due,
        created_by=w.actor(cmd.actor), updated_by=cmd.actor, idempotency_key=cmd.idempotency_key,
    )
    if cmd.idempotency_key:
        await w.idempotency.bind("schedule", cmd.idempotency_key, row["id"])
    return _out(row)


@transactional
async def due_schedules(w: Work, *, now: datetime | None = None, idle: bool = False, limit: int = 20,
                        orchestrator: str | None = None) -> list[DueOccurrence]:
    """Hand out the occurrences due by ``now`` (default: the database clock), each to exactly one caller: the
    schedules are locked with SKIP LOCKED, advanced in the same transaction, and each hand-out is a row whose
    primary key (schedule_id, due_at) refuses a second one. ``idle``: the caller says the system is idle, so
    idle_window schedules are handed out too.

    Raises:
        InvalidArgument: ``now`` without a time zone or outside 2000-01-01 .. a year ahead.
    """
    clock = await w.now()
    if now is not None and (now.tzinfo is None or not _EARLIEST <= now <= clock + _AHEAD):
        raise InvalidArgument("now: give a time with a zone offset between 2000-01-01 and a year from now, or omit it")
    at = now or clock
    handed: list[DueOccurrence] = []
    for row in await w.schedules.lock_due(at, idle, limit):
        due, missed, following = row["next_due_at"], 0, None
        if row["cron_expr"] is not None:
            due, missed, following = coalesce_due(row["cron_expr"], row["timezone"], due, at)
        if not await w.schedules.hand_out(row["id"], due, orchestrator, missed):
            # already handed out (cannot happen while rows are locked; kept as the database's own guarantee)
            following = following or (next_cron(row["cron_expr"], row["timezone"], due) if row["cron_expr"] else None)
            await w.schedules.advance(row["id"], due_at=due, next_due_at=following, missed=0)
            continue
        await w.schedules.advance(row["id"], due_at=due, next_due_at=following, missed=missed)
        late = max(0, int((at - due).total_seconds()))
        handed.append(DueOccurrence(
            schedule_id=row["id"], due_at=due, mode=row["mode"], task_id=row["task_id"],
            research_task_id=row["research_task_id"], missed=missed, late_sec=late,
            over_max_delay=row["max_delay_sec"] is not None and late > row["max_delay_sec"]))
    return handed


@transactional
async def fire_event(w: Work, event: str) -> list[ScheduleOut]:
    """Make the event_driven schedules waiting for ``event`` due now; those schedules."""
    return [_out(r) for r in await w.schedules.fire(event, await w.now())]


@transactional
async def cancel_schedule(w: Work, key: str, reason: str | None = None, actor: str | None = None) -> ScheduleOut:
    """Raises: NotFound, Conflict (already finished or cancelled)."""
    row = need(await w.schedules.get(key, lock=True), "schedule", key)
    if row["status"] != "active":
        raise Conflict(f"schedule {key} is already {row['status']}; nothing to cancel")
    return _out(await w.schedules.update(key, status="cancelled", next_due_at=None, cancel_reason=reason,
                                         updated_by=actor))


@read_only
async def list_schedules(w: Work, *, task_id: str | None = None, research_task_id: str | None = None,
                         status: str | None = None, cursor: str | None = None, limit: int = 20) -> Page[ScheduleOut]:
    """Raises: InvalidArgument (cursor)."""
    rows = await w.schedules.page(task_id=task_id, research_task_id=research_task_id, status=status,
                                  after=decode_cursor(cursor, 2), limit=limit + 1)
    items = [_out(r) for r in rows[:limit]]
    last = items[-1].id if items else ""
    return Page[ScheduleOut](items=items, next_cursor=encode_cursor(len(last), last) if len(rows) > limit else None)
