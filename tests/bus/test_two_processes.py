"""Acceptance: two agents message each other through two bus-mcp processes on one database; subscribers
in both protocol eras get the push across processes; the inbox survives a restart of both; ack is explicit."""

from __future__ import annotations

import sys
from contextlib import AsyncExitStack, asynccontextmanager

import anyio
from mcp import Client

from tests.bus.support import call, subscribed
from tests.conftest import ERAS, script_env
from tests.support.net import running_server

BUS = [sys.executable, "-m", "servers.cli.bus_mcp"]


@asynccontextmanager
async def two_buses(env: dict[str, str]):
    async with running_server(BUS, env) as first, running_server(BUS, env) as second:
        yield first, second


async def test_two_processes_deliver_to_each_others_subscribers_and_keep_the_inbox_across_restarts(
    suite_settings, tmp_path
):
    env = script_env(
        XIOPRO_BUS_DSN=suite_settings.bus_dsn, XIOPRO_HOME=str(tmp_path), XIOPRO_BUS_SCAN_ENABLED="false",
        XIOPRO_LOG_LEVEL="WARNING",
    )
    async with two_buses(env) as (url_a, url_b):
        async with Client(url_a, mode="legacy") as a, Client(url_b, mode="2026-07-28") as b:
            await call(a, "register_agent", agent_id="001", role="orchestrator")
            await call(b, "register_agent", agent_id="002", role="coder")
        async with AsyncExitStack() as stack:
            # agent 002's inbox watched on process B in both eras; agent 001's on process A
            watchers_b = [await stack.enter_async_context(subscribed(url_b, era, "bus://inbox/002")) for era in ERAS]
            watchers_a = [await stack.enter_async_context(subscribed(url_a, era, "bus://inbox/001")) for era in ERAS]
            sender_a, sender_b = watchers_a[0][0], watchers_b[1][0]
            sent = await call(sender_a, "send_message", from_agent="001", to=["002"], subject="task 1001.01",
                              body="please review", ack_required=True)
            with anyio.fail_after(15):
                for _, pushes in watchers_b:
                    assert await pushes.receive() == "bus://inbox/002"
            reply = await call(sender_b, "send_message", from_agent="002", to=["001"], subject="re: task 1001.01",
                               body="on it", thread_id=sent["message_id"])
            with anyio.fail_after(15):
                for _, pushes in watchers_a:
                    assert await pushes.receive() == "bus://inbox/001"
            assert reply["thread_id"] == sent["message_id"]
            seen = await call(sender_b, "fetch_inbox", agent_id="002")
            assert [m["id"] for m in seen["items"]] == [sent["message_id"]]

    async with two_buses(env) as (url_a, url_b):  # both processes restarted
        async with Client(url_b, mode="legacy") as b, Client(url_a, mode="2026-07-28") as a:
            kept = await call(b, "fetch_inbox", agent_id="002")
            assert [m["subject"] for m in kept["items"]] == ["task 1001.01"] and kept["unread_total"] == 1
            await call(b, "ack_message", agent_id="002", message_ids=[sent["message_id"]])
            assert (await call(a, "fetch_inbox", agent_id="002"))["items"] == []
            assert [m["subject"] for m in (await call(a, "fetch_inbox", agent_id="001"))["items"]] == ["re: task 1001.01"]
