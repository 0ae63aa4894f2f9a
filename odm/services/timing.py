"""Time health of tasks (§8.4–8.5): set a task's time target and read its markers and time_status."""

from __future__ import annotations

from typing import Any

import asyncpg

from odm.domain.timing import TimeHealth, TimeTarget, time_health
from odm.services._work import Work, dec, need, transactional

__all__ = ["health_of", "set_time_target"]


async def health_of(w: Work, row: asyncpg.Record) -> TimeHealth:
    data: dict[str, Any] = dict(row)
    data |= time_health(data, await w.now(), len(await w.tasks.incomplete_dependencies(row["id"])))
    return TimeHealth.model_validate(data)


@transactional
async def set_time_target(w: Work, cmd: TimeTarget) -> TimeHealth:
    """Set sla_due_at and/or plan_duration_minutes; answers the task's time health. Raises: NotFound."""
    need(await w.tasks.get(cmd.task_id, lock=True), "task", cmd.task_id)
    values: dict[str, Any] = {}
    if cmd.sla_due_at is not None:
        values["sla_due_at"] = cmd.sla_due_at
    if cmd.plan_duration_minutes is not None:
        values["plan_duration_minutes"] = dec(cmd.plan_duration_minutes)
    await w.tasks.update(cmd.task_id, **values)
    return await health_of(w, need(await w.tasks.get(cmd.task_id), "task", cmd.task_id))
