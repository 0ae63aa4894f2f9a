"""An in-process MCP client on a real xem-mcp (real database, real SDK) beside a test's mesh."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from mcp import Client

from servers import xem
from servers.app import build_server, open_runtime
from servers.runtime.settings import SuiteSettings
from tests.support.net import free_port

__all__ = ["FAST_BRIDGE", "bridge_settings", "xem_client"]

FAST_BRIDGE = {"XIOPRO_XEM_CALL_WAIT_S": "30"}


def bridge_settings(bus: Any) -> SuiteSettings:
    return SuiteSettings(home=bus.home, bus_dsn=bus.dsn, odm_dsn=bus.dsn, odm_url=f"http://127.0.0.1:{free_port()}/mcp",
                         log_level="WARNING")


@asynccontextmanager
async def xem_client(bus: Any, *, mode: str = "legacy", toolsets: str | None = None, **client: Any) -> AsyncIterator[Client]:
    async with open_runtime(xem.SPEC, bridge_settings(bus)) as runtime:
        server = build_server(xem.SPEC, runtime, xem.SPEC.tools.select(toolsets))
        async with Client(server, mode=mode, **client) as c:
            yield c
