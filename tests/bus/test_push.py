"""Push: subscribers of bus://inbox/{agent_id} learn of a new message, in both eras, across runtimes."""

from __future__ import annotations

import anyio
import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError

from tests.bus.support import bus_client, bus_server, call, sql, subscribed
from tests.support.wait import wait_for


async def test_subscriber_on_another_server_is_pushed_when_a_message_arrives(suite_settings, era):
    async with bus_server(suite_settings) as receiving, bus_client(suite_settings) as sending:
        await call(sending, "register_agent", agent_id="000", role="orchestrator")
        await call(sending, "register_agent", agent_id="002", role="coder")
        async with subscribed(receiving, era, "bus://inbox/002") as (client, pushes):
            await call(sending, "send_message", from_agent="000", to=["002"], subject="hello", body="there")
            with anyio.fail_after(10):
                assert await pushes.receive() == "bus://inbox/002"
            inbox = await call(client, "fetch_inbox", agent_id="002")
    assert [m["subject"] for m in inbox["items"]] == ["hello"]


async def test_only_the_addressed_inbox_is_pushed(suite_settings, era):
    async with bus_server(suite_settings) as server:
        async with subscribed(server, era, "bus://inbox/002", "bus://inbox/003") as (client, pushes):
            for agent_id in ("000", "002", "003"):
                await call(client, "register_agent", agent_id=agent_id, role="coder")
            await call(client, "send_message", from_agent="000", to=["003"], subject="a", body="a")
            await call(client, "send_message", from_agent="000", to=["002"], subject="b", body="b")
            with anyio.fail_after(10):
                assert [await pushes.receive(), await pushes.receive()] == ["bus://inbox/003", "bus://inbox/002"]


async def test_lease_changes_are_pushed_to_bus_leases_subscribers(suite_settings, era):
    async with bus_server(suite_settings) as server:
        async with subscribed(server, era, "bus://leases/go") as (client, pushes):
            grant = await call(client, "acquire_lease", name="go", holder="000", ttl_seconds=60)
            with anyio.fail_after(10):
                assert await pushes.receive() == "bus://leases/go"
            await call(client, "release_lease", name="go", holder="000", token=grant["token"])
            with anyio.fail_after(10):
                assert await pushes.receive() == "bus://leases/go"


@pytest.mark.filterwarnings("ignore::mcp.shared.exceptions.MCPDeprecationWarning")
async def test_legacy_subscription_to_a_foreign_uri_is_refused(suite_settings):
    async with bus_server(suite_settings) as server, Client(server, mode="legacy") as client:
        with pytest.raises(MCPError, match="only bus:// resources"):
            await client.subscribe_resource("odm://tasks/1001.01")
        assert client.server_capabilities.resources.subscribe is True


async def test_inbox_resource_lists_unacknowledged_messages_without_marking_them_read(suite_settings, era):
    async with bus_server(suite_settings) as server, Client(server, mode=era) as client:
        await call(client, "register_agent", agent_id="000", role="orchestrator")
        await call(client, "register_agent", agent_id="002", role="coder")
        await call(client, "send_message", from_agent="000", to=["002"], subject="hi", body="b")
        text = (await client.read_resource("bus://inbox/002")).contents[0].text
        with pytest.raises(MCPError, match=r"\[not_found\] agent 404 is not registered"):
            await client.read_resource("bus://inbox/404")
    assert '"subject": "hi"' in text and '"unread_total": 1' in text
    rows = await sql(suite_settings, "SELECT read_at FROM message_deliveries")
    assert rows[0]["read_at"] is None


async def test_push_resumes_after_the_listen_connection_is_killed(suite_settings, era):
    async with bus_server(suite_settings) as server:
        async with subscribed(server, era, "bus://inbox/002") as (client, pushes):
            await call(client, "register_agent", agent_id="000", role="orchestrator")
            await call(client, "register_agent", agent_id="002", role="coder")
            killed = await sql(suite_settings, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                               "WHERE datname = current_database() AND query LIKE 'LISTEN%'")
            assert [r[0] for r in killed] == [True]

            async def a_message_is_pushed() -> bool:
                # notices sent while the listener reconnects are gone: send again until one is pushed
                await call(client, "send_message", from_agent="000", to=["002"], subject="s", body="b")
                with anyio.move_on_after(0.5):
                    return await pushes.receive() == "bus://inbox/002"
                return False

            assert await wait_for(a_message_is_pushed, what="a push after the LISTEN connection was killed", within=20)
            inbox = await call(client, "fetch_inbox", agent_id="002")
    assert inbox["unread_total"] >= 1
