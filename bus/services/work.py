"""my_work: what an agent connected only to the Bus has on its plate (ODM claims and the escalations waiting on
a human about its work, unread messages, leases)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg
from pydantic import BaseModel

from bus.domain.leases import Lease
from bus.errors import NotFound, Unavailable
from bus.services._work import BusServices, Work, read_only
from bus.store.messages import InboxPage

__all__ = ["ClaimedTask", "MyRuntime", "MyWork", "PendingEscalation", "UnreadMessage", "my_work"]

_SHOWN_MESSAGES = 10


class ClaimedTask(BaseModel):
    id: str
    title: str
    status_state: str
    priority: str | None = None
    claim_expires_at: str | None = None


class PendingEscalation(BaseModel):
    id: str
    task_id: str | None = None
    summary: str
    status_state: str | None = None
    url: str | None = None


class UnreadMessage(BaseModel):
    id: int
    from_agent: str
    subject: str
    importance: str
    created_at: datetime


class MyRuntime(BaseModel):
    """The agent's ODM runtime (same id as the agent, §19.3), as the ODM reads it now."""

    id: str
    status_state: str
    health_state: str
    agent_template_id: str | None = None
    current_session_id: str | None = None
    last_heartbeat_at: str | None = None


class MyWork(BaseModel):
    agent_id: str
    runtime: MyRuntime | None = None  # None: the agent has no ODM runtime (or the ODM is unavailable)
    tasks: list[ClaimedTask]
    escalations: list[PendingEscalation] = []  # opened by the agent or on a task it holds, still waiting for a human
    odm_available: bool
    odm_reason: str | None = None
    unread_messages: int
    messages: list[UnreadMessage]
    leases: list[Lease]


def _task(item: dict[str, Any]) -> ClaimedTask:
    return ClaimedTask(
        id=str(item.get("id")),
        title=str(item.get("title", "")),
        status_state=str(item.get("status_state", "?")),
        priority=item.get("priority"),
        claim_expires_at=item.get("claim_expires_at"),
    )


def _escalation(item: dict[str, Any]) -> PendingEscalation:
    return PendingEscalation(id=str(item.get("id")), task_id=item.get("task_id"),
                             summary=str(item.get("summary") or item.get("title") or ""),
                             status_state=item.get("status_state"), url=item.get("url"))


async def my_work(services: BusServices, agent_id: str) -> MyWork:
    """The agent's claimed ODM tasks and pending escalations (through the ODM API), unread messages and held leases.

    An unreachable ODM does not fail the call: ``odm_available`` is false and says why.
    Raises: NotFound (an unregistered agent).
    """
    page, leases = await _bus_part(services, agent_id)
    tasks, escalations, available, reason, runtime = [], [], True, None, None
    try:
        async with services.odm.session() as odm:
            tasks = [_task(item) for item in await odm.feed("tasks", claimed_by=agent_id)]
            runtime = await _runtime(odm, agent_id)
            if odm.offers("escalations"):
                escalations = [_escalation(item) for item in await odm.feed("escalations", status="pending",
                                                                            agent_id=agent_id)]
    except Unavailable as exc:
        available, reason = False, str(exc)
    return MyWork(
        agent_id=agent_id,
        runtime=runtime,
        tasks=tasks,
        escalations=escalations,
        odm_available=available,
        odm_reason=reason,
        unread_messages=page.unread_total,
        messages=[UnreadMessage(**{k: r[k] for k in UnreadMessage.model_fields}) for r in page.rows],
        leases=[Lease(**{k: r[k] for k in Lease.model_fields}) for r in leases],
    )


async def _runtime(odm: Any, agent_id: str) -> MyRuntime | None:
    """The agent's runtime from ``odm://runtimes/{id}``; None when it has none (or the ODM serves no runtimes)."""
    if "odm://runtimes/{id}" not in odm.templates:
        return None
    try:
        item = await odm.read_json(f"odm://runtimes/{agent_id}")
    except Unavailable as exc:
        if "not_found" in str(exc):
            return None
        raise
    return MyRuntime(**{k: item.get(k) for k in MyRuntime.model_fields})


@read_only
async def _bus_part(work: Work, agent_id: str) -> tuple[InboxPage, list[asyncpg.Record]]:
    """The agent's first unread messages (not marked read) and its leases, in one snapshot."""
    page = await work.messages.inbox(
        agent_id, overdue_after_s=work.settings.ack_overdue_after_s, unread_only=True, since=None,
        after_id=None, limit=_SHOWN_MESSAGES, mark_read=False,
    )
    if page is None:
        raise NotFound(f"agent {agent_id} is not registered; call register_agent first")
    return page, await work.leases.held_by(agent_id)
