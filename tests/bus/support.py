"""Helpers of the Bus tests: a Bus spec with chosen settings, tool-call helpers, direct SQL."""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import asyncpg
from anyio.streams.memory import MemoryObjectReceiveStream
from mcp import Client
from mcp.shared.exceptions import MCPDeprecationWarning

from bus.settings import BusSettings
from servers import bus
from servers.app import ServerSpec, SuiteServer, build_server, open_runtime
from servers.runtime.settings import SuiteSettings
from tests.conftest import connect_client

__all__ = ["bus_client", "bus_server", "bus_spec", "call", "call_error", "sql", "subscribed", "text_of"]


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


@asynccontextmanager
async def bus_server(settings: SuiteSettings, *, toolsets: str | None = None, **bus_settings: Any) -> AsyncIterator[SuiteServer]:
    """A real bus-mcp server (own runtime and pool) to connect several in-process clients to."""
    spec = bus_spec(**bus_settings)
    async with open_runtime(spec, settings) as runtime:
        yield build_server(spec, runtime, spec.tools.select(toolsets))


@asynccontextmanager
async def subscribed(
    target: SuiteServer | str, mode: str, *uris: str
) -> AsyncIterator[tuple[Client, MemoryObjectReceiveStream[str]]]:
    """A client subscribed to ``uris`` the way its protocol era does it, and the stream of pushed URIs.

    legacy: resources/subscribe + notifications/resources/updated; 2026-07-28: subscriptions/listen.
    """
    send, receive = anyio.create_memory_object_stream[str](1000)

    async def on_message(message: Any) -> None:
        if getattr(message, "method", None) == "notifications/resources/updated":
            send.send_nowait(message.params.uri)

    async with Client(target, mode=mode, message_handler=on_message if mode == "legacy" else None) as client:
        if mode == "legacy":
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", MCPDeprecationWarning)  # the legacy era is what we test here
                for uri in uris:
                    await client.subscribe_resource(uri)
            yield client, receive
            return
        async with client.listen(resource_subscriptions=list(uris)) as subscription, anyio.create_task_group() as tg:

            async def pump() -> None:
                async for event in subscription:
                    send.send_nowait(event.uri)

            tg.start_soon(pump)
            yield client, receive
            tg.cancel_scope.cancel()


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
