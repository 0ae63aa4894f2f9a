"""The ODM's composition root: the services on a pool, the primary user in place, and the sweeper that returns
expired claims to ready and expires escalations past their due time (same interval)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import asyncpg

from odm.services import OdmServices, claims, escalations, registry
from odm.settings import OdmSettings

__all__ = ["open_services"]

log = logging.getLogger("xiopro.odm.claims")
esc_log = logging.getLogger("xiopro.odm.escalations")


@asynccontextmanager
async def open_services(pool: asyncpg.Pool, settings: OdmSettings) -> AsyncIterator[OdmServices]:
    """The services on ``pool``, with the primary user in place and the claim-expiry sweeper running."""
    services = OdmServices(pool, settings, primary_user_id="")
    services.primary_user_id = await registry.ensure_primary_user(services)
    async with anyio.create_task_group() as tg:
        tg.start_soon(_sweep_forever, services)
        try:
            yield services
        finally:
            tg.cancel_scope.cancel()


async def _sweep_forever(services: OdmServices) -> None:
    while True:
        await anyio.sleep(services.settings.claim_sweep_interval_s)
        try:
            released = await claims.sweep_expired_claims(services)
            expired = await escalations.expire_escalations(services)
        except (OSError, asyncpg.PostgresError) as exc:  # the database may be restarting; try again next round
            log.warning("claim/escalation sweep failed: %s", type(exc).__name__)
            continue
        if released:
            log.info("expired claims returned to ready: %s", ", ".join(released))
        if expired:
            esc_log.info("escalations past their due time expired: %s", ", ".join(expired))
