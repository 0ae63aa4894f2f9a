"""The ODM's composition root: the services on a pool, the primary user in place, the platform agent templates
loaded from ``resources/odm/agent_templates/*.json`` (idempotent), the sweeper that returns expired claims to ready
and expires escalations past their due time (same interval), and the check that this and next month's activity
partitions exist."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources

import anyio
import asyncpg

from odm.domain.execution import TemplateCreate
from odm.services import OdmServices, activities, claims, escalations, registry, templates
from odm.settings import OdmSettings

__all__ = ["open_services"]

log = logging.getLogger("xiopro.odm.claims")
esc_log = logging.getLogger("xiopro.odm.escalations")


@asynccontextmanager
async def open_services(pool: asyncpg.Pool, settings: OdmSettings) -> AsyncIterator[OdmServices]:
    """The services on ``pool``, with the primary user in place and the claim-expiry sweeper running."""
    services = OdmServices(pool, settings, primary_user_id="")
    services.primary_user_id = await registry.ensure_primary_user(services)
    await activities.ensure_partitions(services)  # at start: a server that cannot file today's activities says so now
    published = await templates.ensure_templates(services, platform_templates())
    if published:
        log.info("platform agent templates published: %s", ", ".join(published))
    async with anyio.create_task_group() as tg:
        tg.start_soon(_sweep_forever, services)
        tg.start_soon(_check_partitions_forever, services)
        try:
            yield services
        finally:
            tg.cancel_scope.cancel()


def platform_templates() -> list[tuple[int, TemplateCreate]]:
    """The agent templates the platform ships (``resources/odm/agent_templates/*.json``), by agent id and version.

    Raises: ValueError (pydantic's ValidationError) for a malformed file: a release must not start with one.
    """
    folder = resources.files("resources").joinpath("odm", "agent_templates")
    items = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".json"):
            data = json.loads(entry.read_text(encoding="utf-8"))
            version = int(data.pop("version", 1))
            items.append((version, TemplateCreate.model_validate(data | {"previous_version": version - 1 or None})))
    return sorted(items, key=lambda i: (i[1].agent_id, i[0]))


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
            esc_log.info("escalations expired or withdrawn: %s", ", ".join(expired))


async def _check_partitions_forever(services: OdmServices) -> None:
    """§4.6.4: this month's and next month's partitions always exist (made here well before a month begins)."""
    while True:
        await anyio.sleep(services.settings.partition_check_interval_s)
        try:
            await activities.ensure_partitions(services)
        except (OSError, asyncpg.PostgresError) as exc:  # the database may be restarting; try again next round
            logging.getLogger("xiopro.odm.partitions").warning("activity partition check failed: %s", type(exc).__name__)
