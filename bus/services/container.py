"""The Bus composition root: every service over one pool, plus the background work of a process.

``open_services`` is entered and exited in one task; inside it run the LISTEN loop that turns
database change notices into pushes, and the periodic attention-queue scan.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

import anyio
import asyncpg
from anyio.abc import TaskGroup

from bus.scanner.local import AgentErrorSource, AlertSource
from bus.scanner.odm import odm_sources
from bus.scanner.scanner import Scanner
from bus.scanner.sources import Source
from bus.services.agents import AgentService
from bus.services.alerts import AlertService
from bus.services.capacity import CapacityService
from bus.services.events import EventService
from bus.services.leases import LeaseService
from bus.services.messages import MessageService
from bus.services.push import UriSubscriptions
from bus.services.todos import TodoService
from bus.services.work import WorkService
from bus.settings import BusSettings
from bus.store.changes import ChangeHub, ChangeListener
from bus.store.db import Database

__all__ = ["BusServices", "default_sources", "open_services"]


@dataclass
class BusServices:
    settings: BusSettings
    db: Database
    changes: ChangeHub
    background: TaskGroup
    push: UriSubscriptions
    agents: AgentService
    leases: LeaseService
    messages: MessageService
    events: EventService
    capacity: CapacityService
    alerts: AlertService
    todos: TodoService
    scanner: Scanner
    work: WorkService


def default_sources(settings: BusSettings) -> list[Source]:
    """Bus-local sources and the ODM ones (which read the ODM server's API at scan time)."""
    return [
        AlertSource(),
        AgentErrorSource(),
        *odm_sources(stale_task_after_s=settings.stale_task_after_s, budget_warn_ratio=settings.budget_warn_ratio),
    ]


@asynccontextmanager
async def open_services(
    pool: asyncpg.Pool,
    dsn: str,
    settings: BusSettings,
    *,
    odm_url: str | None = None,
    sources: Sequence[Source] | None = None,
) -> AsyncIterator[BusServices]:
    """All Bus services on ``pool``; ``dsn`` is used for the dedicated LISTEN connection.

    The periodic scan runs here when ``settings.scan_enabled``; ``sources`` replaces the default ones.
    """
    db = Database(pool)
    hub = ChangeHub()
    async with anyio.create_task_group() as tg:
        leases = LeaseService(db)
        events = EventService(db)
        scanner = Scanner(
            db,
            settings,
            default_sources(settings) if sources is None else sources,
            leases=leases,
            events=events,
            odm_url=odm_url,
        )
        services = BusServices(
            settings=settings,
            db=db,
            changes=hub,
            background=tg,
            push=UriSubscriptions(hub, tg),
            agents=AgentService(db, settings, odm_url),
            leases=leases,
            messages=MessageService(db, settings),
            events=events,
            capacity=CapacityService(db, settings),
            alerts=AlertService(db),
            todos=TodoService(db, settings),
            scanner=scanner,
            work=WorkService(db, settings, odm_url),
        )
        listener = ChangeListener(dsn, hub.dispatch)
        tg.start_soon(listener.run)
        with anyio.fail_after(15):
            await listener.listening.wait()
        if settings.scan_enabled:
            tg.start_soon(scanner.run)
        try:
            yield services
        finally:
            tg.cancel_scope.cancel()
