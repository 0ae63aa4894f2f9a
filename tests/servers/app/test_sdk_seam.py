"""The SDK's private API the suite relies on (servers/app/_sdk.py) still exists and still works.

An SDK upgrade that moves any of it fails here, by name, instead of breaking push or tracing silently.
"""

from __future__ import annotations

from importlib.metadata import version

import anyio
import pytest
from mcp import Client
from mcp.server import MCPServer
from mcp.server.context import ServerRequestContext
from mcp_types import EmptyResult, SubscribeRequestParams

from servers.app import _sdk


def test_the_installed_sdk_is_the_minor_release_the_seam_was_checked_against():
    assert version("mcp").startswith("2.3."), "servers/app/_sdk.py was checked against mcp 2.3.x: re-check it, then the pin"


@pytest.mark.filterwarnings("ignore:resources/subscribe is removed")  # the legacy era is what it serves
async def test_a_handler_added_through_the_seam_serves_its_method_and_finds_the_connection_of_the_session():
    server = MCPServer("seam")
    seen: list[object] = []

    async def subscribe(ctx: ServerRequestContext, params: SubscribeRequestParams) -> EmptyResult:
        session = ctx.session
        connection = _sdk.connection_of(session)
        assert connection is not session, "the SDK no longer keeps its per-connection object at session._connection"
        assert hasattr(connection, "exit_stack") and hasattr(connection, "state"), "the bus push needs both"
        seen.append(params.uri)
        return EmptyResult()

    _sdk.add_request_handler(server, "resources/subscribe", SubscribeRequestParams, subscribe)
    with anyio.fail_after(10):
        async with Client(server, mode="legacy") as client:
            await client.subscribe_resource("bus://inbox/001")
    assert seen == ["bus://inbox/001"]


def test_the_span_middleware_is_found_and_dropped_from_the_public_chain():
    from mcp.server._otel import OpenTelemetryMiddleware

    server = MCPServer("seam")
    assert any(isinstance(m, OpenTelemetryMiddleware) for m in server.middleware)
    _sdk.drop_span_middleware(server)
    assert not any(isinstance(m, OpenTelemetryMiddleware) for m in server.middleware)


async def test_a_server_can_advertise_tools_list_changed_in_the_session_era():
    server = MCPServer("seam")
    _sdk.advertise_tools_list_changed(server)
    with anyio.fail_after(10):
        async with Client(server, mode="legacy") as client:
            caps = client.server_capabilities
            assert caps.tools is not None and caps.tools.list_changed is True
