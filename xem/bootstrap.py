"""The XEM composition root: the services on the bus database for xem-mcp, the router and xeroctl; for xem-mcp
also its LISTEN hub (``xem.watch``) and, when enabled, the ODM link."""

from __future__ import annotations

import logging
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import anyio
import asyncpg

from xem.domain.catalog import Catalog
from xem.domain.templates import ChatTemplate, TemplateLibrary
from xem.services import XemServices, exec_catalog, template_names
from xem.settings import XemSettings
from xem.watch import Hub

__all__ = ["Bridge", "open_bridge", "open_services"]

log = logging.getLogger("xiopro.xem.bridge")


@asynccontextmanager
async def open_services(pool: asyncpg.Pool) -> AsyncIterator[XemServices]:
    """The XEM services on ``pool`` (schema ``xem`` of the bus database), for as long as the block runs."""
    yield XemServices(pool)


@dataclass(eq=False)
class Bridge(XemServices):
    """What xem-mcp runs with: the services, its settings, the hub that hears the database, and the current
    catalog of exec tools (refreshed when an agent's servable tools change; its watchers are told)."""

    settings: XemSettings = field(default_factory=XemSettings)
    hub: Hub = field(default_factory=Hub)
    catalog: Catalog = field(default_factory=Catalog)
    watchers: weakref.WeakSet[Any] = field(default_factory=weakref.WeakSet)  # objects with async on_catalog(catalog)
    template_watchers: weakref.WeakSet[Any] = field(default_factory=weakref.WeakSet)  # objects with async on_templates()
    # every chat template name -> the latest version of each (scope, owner) that has it (what prompts/list shows)
    template_index: dict[str, list[ChatTemplate]] = field(default_factory=dict)

    async def refresh_catalog(self) -> None:
        self.catalog = catalog = await exec_catalog(self)
        for skipped in catalog.skipped:
            log.warning("exec tool skipped: %s", skipped)
        for watcher in list(self.watchers):
            try:
                await watcher.on_catalog(catalog)
            except Exception:
                log.exception("a catalog watcher failed")


    async def refresh_templates(self) -> None:
        """A template got a new version (or the LISTEN connection came back): the prompt lists are built again."""
        self.template_index = await template_names(self)
        for watcher in list(self.template_watchers):
            try:
                await watcher.on_templates()
            except Exception:
                log.exception("a templates watcher failed")


@asynccontextmanager
async def open_bridge(pool: asyncpg.Pool, settings: XemSettings, *, templates: TemplateLibrary | None = None,
                      odm_url: str | None = None,
                      odm_api_key: str | None = None, odm_child_env: dict[str, str] | None = None) -> AsyncIterator[Bridge]:
    """The bridge, with its LISTEN loop (and the ODM link if ``settings.odm_link`` and an ODM is configured: its
    URL, or ``stdio`` for an odm-mcp child of its own) running until the block ends."""
    bridge = Bridge(pool, templates or TemplateLibrary(), settings=settings)
    async with anyio.create_task_group() as tg:
        tg.start_soon(bridge.hub.run, pool)
        if settings.odm_link and odm_url:
            from servers.kernel.odm_client import OdmGateway
            from xem.odm_link import run_odm_link

            odm = OdmGateway(odm_url, settings.odm_timeout_s, odm_api_key, odm_child_env, who="the XEM bridge")
            tg.start_soon(run_odm_link, bridge, odm)
        with anyio.fail_after(30):
            await bridge.hub.listening.wait()
        bridge.hub.on_tools_changed(bridge.refresh_catalog)
        bridge.hub.on_templates_changed(bridge.refresh_templates)
        await bridge.refresh_catalog()
        await bridge.refresh_templates()
        try:
            yield bridge
        finally:
            tg.cancel_scope.cancel()
