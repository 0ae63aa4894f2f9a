"""Helpers of the Bus tests: a Bus spec with chosen settings, tool-call helpers, direct SQL."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from mcp import Client

from bus.settings import BusSettings
from servers import bus
from servers.app import ServerSpec
from servers.settings import SuiteSettings
from tests.conftest import connect_client

__all__ = ["bus_client", "bus_spec", "call", "call_error", "sql", "text_of"]


def bus_spec(**overrides: Any) -> ServerSpec:
    """The real bus-mcp spec with Bus settings chosen by the test (the periodic scan off unless asked)."""
    values = {"scan_enabled": False} | overrides
    return dataclasses.replace(bus.SPEC, services=bus.bus_services(BusSettings(**values)))


@asynccontextmanager
async def bus_client(
    settings: SuiteSettings, *, mode: str = "legacy", toolsets: str | None = None, **bus_settings: Any
) -> AsyncIterator[Client]:
    async with connect_client(bus_spec(**bus_settings), settings, mode=mode, toolsets=toolsets) as client:
        yield client


def text_of(result) -> str:
    return "\n".join(getattr(c, "text", "") for c in result.content)


async def call(client: Client, tool: str, **arguments: Any) -> dict:
    """Call a tool that must succeed; returns its structured result."""
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, text_of(result)
    return result.structured_content


async def call_error(client: Client, tool: str, **arguments: Any) -> str:
    """Call a tool that must fail; returns its ``[code] message`` text."""
    result = await client.call_tool(tool, arguments)
    assert result.is_error, f"{tool} succeeded: {result.structured_content}"
    return text_of(result)


async def sql(settings: SuiteSettings, query: str, *args: Any) -> list[asyncpg.Record]:
    """Run SQL on the bus database directly (to simulate time passing or to inspect rows)."""
    conn = await asyncpg.connect(settings.bus_dsn)
    try:
        return await conn.fetch(query, *args)
    finally:
        await conn.close()
