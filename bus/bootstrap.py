"""The Bus composition root: the services of one process over one pool, and its background work.

``open_services`` is entered and exited in one task; inside it run the LISTEN loop that turns
database change notices into pushes, and the periodic attention-queue scan.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import anyio
import asyncpg

from bus.services import scanner
from bus.services._work import BusServices
from bus.services.push import UriSubscriptions
from bus.services.scanner import Scanner, Source, default_sources
from bus.settings import BusSettings
from bus.store.listener import ChangeHub, ChangeListener
from servers.kernel.odm_client import OdmGateway

__all__ = ["BusServices", "open_services"]


@asynccontextmanager
async def open_services(
    pool: asyncpg.Pool,
    dsn: str,
    settings: BusSettings,
    *,
    odm_url: str | None = None,
    odm_api_key: str | None = None,
    odm_child_env: dict[str, str] | None = None,
    sources: Sequence[Source] | None = None,
) -> AsyncIterator[BusServices]:
    """The Bus services on ``pool``; ``dsn`` is used for the dedicated LISTEN connection.

    The periodic scan runs here when ``settings.scan_enabled``; ``sources`` replaces the default ones.
    """
    hub = ChangeHub()
    async with anyio.create_task_group() as tg:
        services = BusServices(
            pool=pool,
            settings=settings,
            odm=OdmGateway(odm_url, settings.odm_timeout_s, odm_api_key, odm_child_env),
            changes=hub,
            background=tg,
            push=UriSubscriptions(hub, tg),
            scanner=Scanner(default_sources(settings) if sources is None else sources),
        )
        listener = ChangeListener(dsn, hub.dispatch)
        tg.start_soon(listener.run)
        if services.odm.over_stdio:
            tg.start_soon(services.odm.run_child)
        with anyio.fail_after(15):
            await listener.listening.wait()
        if settings.scan_enabled:
            tg.start_soon(scanner.run, services)
        try:
            yield services
        finally:
            tg.cancel_scope.cancel()
