"""odm-mcp The scheduler (execution toolset): schedule work, hand out due occurrences once, fire events, list, cancel;
and a task's time target (time health, §8.5)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from mcp.server.mcpserver import Context
from pydantic import Field

from odm.domain.scheduling import CronExpr, DueOccurrence, EventName, ScheduleCreate, ScheduleOut
from odm.domain.timing import TimeHealth, TimeTarget
from odm.domain.types import AgentId, IdemKey, Limit, Minutes, Ref, ScheduleMode, ShortText
from odm.domain.views import Page
from odm.services import scheduling, timing
from servers.app import ToolGroup
from servers.odm._context import given, services

__all__ = ["cancel_schedule", "due_schedules", "fire_event", "list_schedules", "schedule", "set_time_target"]

tools = ToolGroup()
EXEC = "execution"


@tools.tool(EXEC, title="Schedule work", read_only=False, destructive=False, idempotent=False, open_world=False)
async def schedule(ctx: Context, mode: ScheduleMode, task_id: Ref | None = None, research_task_id: Ref | None = None,
                   run_at: datetime | None = None, cron_expr: CronExpr | None = None, timezone: Ref = "UTC",
                   dependency_event: EventName | None = None, idle_policy_id: Ref | None = None,
                   max_delay_sec: Annotated[int, Field(ge=1, le=366 * 86400)] | None = None,
                   idempotency_key: IdemKey | None = None) -> ScheduleOut:
    """Attach a schedule to a task or research task: immediate, delayed (run_at), periodic (cron_expr in timezone),
    event_driven (dependency_event), idle_window. Errors: [invalid_argument] (naming the field), [not_found], [conflict]."""
    return await scheduling.schedule(services(ctx), ScheduleCreate(**given(
        mode=mode, task_id=task_id, research_task_id=research_task_id, run_at=run_at, cron_expr=cron_expr,
        timezone=timezone, dependency_event=dependency_event, idle_policy_id=idle_policy_id,
        max_delay_sec=max_delay_sec, idempotency_key=idempotency_key)))


@tools.tool(EXEC, title="Take due schedules", read_only=False, destructive=False, idempotent=False, open_world=False)
async def due_schedules(ctx: Context, now: datetime | None = None, idle: bool = False, limit: Limit = 20,
                        orchestrator: AgentId | None = None) -> Page[DueOccurrence]:
    """For orchestrators: hands out occurrences due by now (default: the server clock), each to exactly one caller;
    missed periodic ones coalesce into one (missed counts them). idle=true includes idle_window. Errors: [invalid_argument]."""
    items = await scheduling.due_schedules(services(ctx), now=now, idle=idle, limit=limit, orchestrator=orchestrator)
    return Page[DueOccurrence](items=items)


@tools.tool(EXEC, title="Fire schedule event", read_only=False, destructive=False, idempotent=True, open_world=False)
async def fire_event(ctx: Context, event: EventName) -> Page[ScheduleOut]:
    """Signal that dependency_event `event` happened: its event_driven schedules become due (due_schedules hands
    them out). Answers the schedules made due."""
    return Page[ScheduleOut](items=await scheduling.fire_event(services(ctx), event))


@tools.tool(EXEC, title="List schedules", read_only=True, destructive=False, idempotent=True, open_world=False)
async def list_schedules(ctx: Context, task_id: Ref | None = None, research_task_id: Ref | None = None,
                         status: Literal["active", "finished", "cancelled"] | None = None, limit: Limit = 20,
                         cursor: str | None = None) -> Page[ScheduleOut]:
    """Schedules (compact with next_due_at), of one task or research task, by status."""
    return await scheduling.list_schedules(services(ctx), task_id=task_id, research_task_id=research_task_id,
                                           status=status, cursor=cursor, limit=limit)


@tools.tool(EXEC, title="Cancel schedule", read_only=False, destructive=True, idempotent=False, open_world=False)
async def cancel_schedule(ctx: Context, schedule_id: Ref, reason: ShortText | None = None) -> ScheduleOut:
    """Cancel a schedule: nothing more is handed out for it. Errors: [not_found], [conflict] not active."""
    return await scheduling.cancel_schedule(services(ctx), schedule_id, reason)


@tools.tool(EXEC, title="Set task time target", read_only=False, destructive=False, idempotent=True, open_world=False)
async def set_time_target(ctx: Context, task_id: Ref, sla_due_at: datetime | None = None,
                          plan_duration_minutes: Minutes | None = None) -> TimeHealth:
    """Give a task a deadline (sla_due_at) and/or planned duration; answers its timing markers and time_status
    (on_track, at_risk at 80%, breached), also in odm://tasks/{id}. Errors: [not_found], [invalid_argument]."""
    return await timing.set_time_target(services(ctx), TimeTarget(**given(
        task_id=task_id, sla_due_at=sla_due_at, plan_duration_minutes=plan_duration_minutes)))
