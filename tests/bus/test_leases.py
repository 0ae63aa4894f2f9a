"""Named leases: one holder, expiry, fencing tokens that only grow; the `go` election under races."""

from __future__ import annotations

from contextlib import AsyncExitStack

import anyio
import pytest

from tests.bus.support import bus_client, call, call_error, sql, text_of


async def test_two_holders_racing_for_go_100_times_never_both_hold_and_tokens_only_grow(suite_settings):
    async with AsyncExitStack() as stack:
        # two clients on two separate runtimes (pools): like two bus-mcp processes on one database
        clients = {
            "000": await stack.enter_async_context(bus_client(suite_settings)),
            "001": await stack.enter_async_context(bus_client(suite_settings)),
        }
        tokens: list[int] = []
        for round_no in range(100):
            results: dict = {}

            async def race(holder: str, into: dict) -> None:
                into[holder] = await clients[holder].call_tool(
                    "acquire_lease", {"name": "go", "holder": holder, "ttl_seconds": 60}
                )

            with anyio.fail_after(10):
                async with anyio.create_task_group() as tg:
                    for holder in clients:
                        tg.start_soon(race, holder, results)
            winners = [h for h, r in results.items() if not r.is_error]
            assert len(winners) == 1, {h: text_of(r) for h, r in results.items()}
            winner, loser = winners[0], next(h for h in clients if h != winners[0])
            assert text_of(results[loser]).startswith(f"[lease_held] lease go is held by {winner} until ")
            token = results[winner].structured_content["token"]
            assert not tokens or token > tokens[-1]
            tokens.append(token)
            [row] = await sql(suite_settings, "SELECT holder, token, expires_at > now() AS held FROM leases")
            assert (row["holder"], row["token"], row["held"]) == (winner, token, True)
            assert (await call_error(clients[loser], "release_lease", name="go", holder=loser, token=token)).startswith(
                "[lease_held]"
            )
            if len(tokens) > 1:
                stale = await call_error(clients[winner], "release_lease", name="go", holder=winner, token=tokens[-2])
                assert stale.startswith("[conflict]") or stale.startswith("[lease_held]"), stale
            if round_no % 2:
                released = await call(clients[winner], "release_lease", name="go", holder=winner, token=token)
                assert released["released"] is True
            else:  # let it expire instead: the next round must take it over
                await sql(suite_settings, "UPDATE leases SET expires_at = now() - interval '1 second'")
    assert tokens == sorted(set(tokens)) and len(tokens) == 100


async def test_holder_renews_by_acquiring_again_keeping_its_token(suite_settings, era):
    async with bus_client(suite_settings, mode=era) as client:
        first = await call(client, "acquire_lease", name="deploy.prod", holder="002", ttl_seconds=30)
        again = await call(client, "acquire_lease", name="deploy.prod", holder="002", ttl_seconds=600)
    assert again["token"] == first["token"] and again["renewed"] is True and first["renewed"] is False
    assert again["expires_at"] > first["expires_at"]


async def test_expired_lease_is_taken_over_with_a_larger_token_and_the_old_token_cannot_release(suite_settings, era):
    async with bus_client(suite_settings, mode=era, toolsets="ops") as client:
        old = await call(client, "acquire_lease", name="go", holder="000", ttl_seconds=30)
        await sql(suite_settings, "UPDATE leases SET expires_at = now() - interval '1 second'")
        new = await call(client, "acquire_lease", name="go", holder="001", ttl_seconds=30)
        refused = await call_error(client, "release_lease", name="go", holder="000", token=old["token"])
        lease = await call(client, "get_lease", name="go")
        resource = await client.read_resource("bus://leases/go")
    assert new["token"] == old["token"] + 1
    assert refused.startswith("[lease_held] lease go is held by 001 until ")
    assert (lease["holder"], lease["token"], lease["held"]) == ("001", new["token"], True)
    assert '"holder": "001"' in resource.contents[0].text


async def test_holder_reacquiring_after_its_own_expiry_gets_a_new_token_and_the_old_one_is_stale(suite_settings):
    async with bus_client(suite_settings) as client:
        old = await call(client, "acquire_lease", name="go", holder="000", ttl_seconds=30)
        await sql(suite_settings, "UPDATE leases SET expires_at = now() - interval '1 second'")
        new = await call(client, "acquire_lease", name="go", holder="000", ttl_seconds=30)
        stale = await call_error(client, "release_lease", name="go", holder="000", token=old["token"])
        released = await call(client, "release_lease", name="go", holder="000", token=new["token"])
        again = await call(client, "release_lease", name="go", holder="000", token=new["token"])
    assert new["token"] == old["token"] + 1 and new["renewed"] is False
    assert stale.startswith(f"[conflict] token {old['token']} of 000 is not the current grant of lease go")
    assert released["released"] is True and again["released"] is False


@pytest.mark.parametrize(
    "tool, arguments, expected",
    [
        ("release_lease", {"name": "nothing", "holder": "000", "token": 1}, "[not_found] no lease named nothing"),
        ("acquire_lease", {"name": "Go!", "holder": "000", "ttl_seconds": 5}, "[invalid_argument] acquire_lease: name"),
        ("acquire_lease", {"name": "go", "holder": "000", "ttl_seconds": 0}, "[invalid_argument] acquire_lease: ttl_seconds"),
        ("acquire_lease", {"name": "go", "holder": "000", "ttl_seconds": 86401}, "[invalid_argument] acquire_lease: ttl_seconds"),
        ("acquire_lease", {"name": "go", "holder": "000"}, "[invalid_argument] acquire_lease: ttl_seconds: is required"),
        ("release_lease", {"name": "go", "holder": "000", "token": 0}, "[invalid_argument] release_lease: token"),
        ("release_lease", {"name": "go", "holder": "000", "token": "one"}, "[invalid_argument] release_lease: token"),
    ],
)
async def test_bad_lease_input_is_refused_and_changes_nothing(suite_settings, tool, arguments, expected):
    async with bus_client(suite_settings) as client:
        text = await call_error(client, tool, **arguments)
    assert text.startswith(expected), text
    assert await sql(suite_settings, "SELECT name FROM leases") == []
