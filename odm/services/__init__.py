"""ODM use cases: each function is one use case run in one transaction (``services.<module>.<fn>(svc, ...)``)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import asyncpg

from odm.services import claims, evolution, ideas, projects, reads, registry, tasks, tickets, transitions
from odm.services._core import OdmServices
from odm.settings import OdmSettings

__all__ = ["OdmServices", "claims", "evolution", "ideas", "open_services", "projects", "reads", "registry",
           "tasks", "tickets", "transitions"]


@asynccontextmanager
async def open_services(pool: asyncpg.Pool, settings: OdmSettings) -> AsyncIterator[OdmServices]:
    """The services on ``pool``, with the primary user in place and the claim-expiry sweeper running."""
    services = OdmServices(pool, settings, await registry.ensure_primary_user(pool, settings))
    async with anyio.create_task_group() as tg:
        tg.start_soon(_sweep_forever, services)
        try:
            yield services
        finally:
            tg.cancel_scope.cancel()


log = logging.getLogger("xiopro.odm.claims")


async def _sweep_forever(services: OdmServices) -> None:
    while True:
        await anyio.sleep(services.settings.claim_sweep_interval_s)
        try:
            released = await claims.sweep_expired_claims(services)
        except (OSError, asyncpg.PostgresError) as exc:  # the database may be restarting; try again next round
            log.warning("claim sweep failed: %s", type(exc).__name__)
            continue
        if released:
            log.info("expired claims returned to ready: %s", ", ".join(released))
