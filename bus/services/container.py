"""The Bus composition root: every service over one pool, plus the background work of a process.

``open_services`` is entered and exited in one task; inside it run the LISTEN loop that turns
database change notices into pushes, and the periodic attention-queue scan.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import anyio
import asyncpg
from anyio.abc import TaskGroup

from ..settings import BusSettings
from ..store.changes import ChangeHub, ChangeListener
from ..store.db import Database
from .agents import AgentService
from .alerts import AlertService
from .capacity import CapacityService
from .events import EventService
from .leases import LeaseService
from .messages import MessageService
from .push import UriSubscriptions

__all__ = ["BusServices", "open_services"]


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


@asynccontextmanager
async def open_services(
    pool: asyncpg.Pool, dsn: str, settings: BusSettings, *, odm_url: str | None = None
) -> AsyncIterator[BusServices]:
    """All Bus services on ``pool``; ``dsn`` is used for the dedicated LISTEN connection."""
    db = Database(pool)
    hub = ChangeHub()
    async with anyio.create_task_group() as tg:
        services = BusServices(
            settings=settings,
            db=db,
            changes=hub,
            background=tg,
            push=UriSubscriptions(hub, tg),
            agents=AgentService(db, settings),
            leases=LeaseService(db),
            messages=MessageService(db, settings),
            events=EventService(db),
            capacity=CapacityService(db, settings),
            alerts=AlertService(db),
        )
        listener = ChangeListener(dsn, hub.dispatch)
        tg.start_soon(listener.run)
        with anyio.fail_after(15):
            await listener.listening.wait()
        try:
            yield services
        finally:
            tg.cancel_scope.cancel()
