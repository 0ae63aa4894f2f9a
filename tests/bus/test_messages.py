"""Durable messages: addressing, inbox pages, explicit acknowledgement, threads, overdue acks."""

from __future__ import annotations

import pytest

from tests.bus.support import bus_client, call, call_error, sql


async def _team(client, *agents: tuple[str, str]) -> None:
    for agent_id, role in agents:
        await call(client, "register_agent", agent_id=agent_id, role=role)


async def test_message_stays_in_the_inbox_until_acknowledged(suite_settings, era):
    async with bus_client(suite_settings, mode=era) as client:
        await _team(client, ("000", "orchestrator"), ("002", "coder"))
        sent = await call(client, "send_message", from_agent="000", to=["002"], subject="build", body="run the tests")
        first = await call(client, "fetch_inbox", agent_id="002")
        second = await call(client, "fetch_inbox", agent_id="002")
        beat = await call(client, "heartbeat", agent_id="002")
        acked = await call(client, "ack_message", agent_id="002", message_ids=[sent["message_id"]])
        after = await call(client, "fetch_inbox", agent_id="002")
        everything = await call(client, "fetch_inbox", agent_id="002", unread_only=False)
    assert sent["recipients"] == ["002"] and sent["thread_id"] == sent["message_id"]
    assert [m["id"] for m in first["items"]] == [m["id"] for m in second["items"]] == [sent["message_id"]]
    assert first["items"][0]["body"] == "run the tests" and first["unread_total"] == 1
    assert beat["unread_messages"] == 1
    assert acked == {"acked": [sent["message_id"]], "already_acked": []}
    assert after["items"] == [] and after["unread_total"] == 0
    assert everything["items"][0]["acked"] is True


async def test_role_and_broadcast_addresses_reach_every_matching_agent_but_the_sender(suite_settings):
    async with bus_client(suite_settings) as client:
        await _team(client, ("000", "orchestrator"), ("001", "coder"), ("002", "coder"), ("005", "ops"))
        to_coders = await call(client, "send_message", from_agent="001", to=["role:coder", "005"], subject="s", body="b")
        to_all = await call(client, "send_message", from_agent="000", to=["*"], subject="s", body="b")
    assert to_coders["recipients"] == ["005", "002"]
    assert to_all["recipients"] == ["001", "002", "005"]


async def test_replies_join_the_thread_of_any_message_in_it(suite_settings):
    async with bus_client(suite_settings, toolsets="messages") as client:
        await _team(client, ("000", "orchestrator"), ("002", "coder"))
        root = await call(client, "send_message", from_agent="000", to=["002"], subject="plan", body="1")
        reply = await call(client, "send_message", from_agent="002", to=["000"], subject="re: plan", body="2",
                           thread_id=root["message_id"])
        again = await call(client, "send_message", from_agent="000", to=["002"], subject="re: plan", body="3",
                           thread_id=reply["message_id"])
        thread = await call(client, "read_thread", thread_id=again["message_id"], limit=2)
        rest = await call(client, "read_thread", thread_id=root["message_id"], limit=2, cursor=thread["next_cursor"])
    assert reply["thread_id"] == again["thread_id"] == root["message_id"]
    assert [m["body"] for m in thread["items"] + rest["items"]] == ["1", "2", "3"]
    assert rest["next_cursor"] is None


async def test_inbox_pages_oldest_first_with_a_cursor_and_long_bodies_are_cut(suite_settings):
    async with bus_client(suite_settings) as client:
        await _team(client, ("000", "orchestrator"), ("002", "coder"))
        ids = [
            (await call(client, "send_message", from_agent="000", to=["002"], subject=f"m{n}", body="x" * (n * 1500)))[
                "message_id"
            ]
            for n in range(1, 4)
        ]
        page = await call(client, "fetch_inbox", agent_id="002", limit=2)
        rest = await call(client, "fetch_inbox", agent_id="002", limit=2, cursor=page["next_cursor"])
        full = await client.read_resource(f"bus://messages/{ids[2]}")
    assert [m["id"] for m in page["items"]] == ids[:2] and [m["id"] for m in rest["items"]] == ids[2:]
    assert rest["next_cursor"] is None
    assert [m["body_truncated"] for m in page["items"] + rest["items"]] == [False, True, True]
    assert len(rest["items"][0]["body"]) == 2000 and '"body": "' + "x" * 4500 + '"' in full.contents[0].text


async def test_ack_required_message_unacknowledged_in_time_is_overdue_for_sender_and_recipient(suite_settings):
    async with bus_client(suite_settings, toolsets="messages", ack_overdue_after_s=60) as client:
        await _team(client, ("000", "orchestrator"), ("002", "coder"), ("003", "designer"))
        sent = await call(client, "send_message", from_agent="000", to=["002", "003"], subject="sign off", body="?",
                          ack_required=True)
        assert (await call(client, "overdue_acks"))["items"] == []
        await sql(suite_settings, "UPDATE messages SET created_at = now() - interval '2 minutes'")
        await call(client, "ack_message", agent_id="003", message_ids=[sent["message_id"]])
        overdue = await call(client, "overdue_acks", from_agent="000")
        inbox = await call(client, "fetch_inbox", agent_id="002")
        receipts = await call(client, "get_message", message_id=sent["message_id"])
    assert [(o["message_id"], o["agent_id"]) for o in overdue["items"]] == [(sent["message_id"], "002")]
    assert overdue["items"][0]["overdue_by_s"] >= 59
    assert inbox["items"][0]["ack_overdue"] is True
    assert {r["agent_id"]: r["ack_overdue"] for r in receipts["receipts"]} == {"002": True, "003": False}


async def test_acknowledging_twice_is_harmless_and_a_foreign_id_changes_nothing(suite_settings):
    async with bus_client(suite_settings) as client:
        await _team(client, ("000", "orchestrator"), ("002", "coder"), ("003", "designer"))
        mine = await call(client, "send_message", from_agent="000", to=["002"], subject="a", body="a")
        theirs = await call(client, "send_message", from_agent="000", to=["003"], subject="b", body="b")
        await call(client, "ack_message", agent_id="002", message_ids=[mine["message_id"]])
        again = await call(client, "ack_message", agent_id="002", message_ids=[mine["message_id"]])
        refused = await call_error(client, "ack_message", agent_id="002", message_ids=[theirs["message_id"], 999])
    assert again == {"acked": [], "already_acked": [mine["message_id"]]}
    assert refused.startswith(f"[not_found] message {theirs['message_id']}, 999 was not delivered to 002")
    rows = await sql(suite_settings, "SELECT agent_id FROM message_deliveries WHERE acked_at IS NOT NULL")
    assert [r["agent_id"] for r in rows] == ["002"]


@pytest.mark.parametrize(
    "tool, arguments, expected",
    [
        ("send_message", {"from_agent": "404", "to": ["002"], "subject": "s", "body": "b"},
         "[not_found] sender 404 is not registered"),
        ("send_message", {"from_agent": "000", "to": ["002", "404", "405"], "subject": "s", "body": "b"},
         "[not_found] no registered agent 404, 405"),
        ("send_message", {"from_agent": "000", "to": ["role:pilot"], "subject": "s", "body": "b"},
         "[not_found] no registered agent has role pilot"),
        ("send_message", {"from_agent": "000", "to": ["002"], "subject": "s", "body": "b", "thread_id": 77},
         "[not_found] no message or thread 77"),
        ("send_message", {"from_agent": "002", "to": ["role:coder"], "subject": "s", "body": "b"},
         "[invalid_argument] the addresses name no agent but the sender"),
        ("send_message", {"from_agent": "000", "to": [], "subject": "s", "body": "b"}, "[invalid_argument] send_message: to"),
        ("send_message", {"from_agent": "000", "to": ["role:"], "subject": "s", "body": "b"}, "[invalid_argument] send_message: to.0"),
        ("send_message", {"from_agent": "000", "to": ["002"], "subject": "", "body": "b"}, "[invalid_argument] send_message: subject"),
        ("send_message", {"from_agent": "000", "to": ["002"], "subject": "s", "body": "b", "importance": "meh"},
         "[invalid_argument] send_message: importance"),
        ("fetch_inbox", {"agent_id": "404"}, "[not_found] agent 404 is not registered"),
        ("fetch_inbox", {"agent_id": "002", "cursor": "zz"}, "[invalid_argument] cursor is not one this tool returned"),
        ("fetch_inbox", {"agent_id": "002", "limit": 201}, "[invalid_argument] fetch_inbox: limit"),
        ("fetch_inbox", {"agent_id": "002", "since": "yesterday"}, "[invalid_argument] fetch_inbox: since"),
        ("ack_message", {"agent_id": "002", "message_ids": []}, "[invalid_argument] ack_message: message_ids"),
        ("ack_message", {"agent_id": "002", "message_ids": [0]}, "[invalid_argument] ack_message: message_ids.0"),
        ("read_thread", {"thread_id": 5}, "[not_found] no message or thread 5"),
        ("get_message", {"message_id": 5}, "[not_found] no message 5"),
        ("overdue_acks", {"cursor": "x:y"}, "[invalid_argument] cursor is not one this tool returned"),
    ],
)
async def test_bad_message_input_is_refused_and_changes_nothing(suite_settings, tool, arguments, expected):
    async with bus_client(suite_settings, toolsets="messages") as client:
        await _team(client, ("000", "orchestrator"), ("002", "coder"))
        text = await call_error(client, tool, **arguments)
    assert text.startswith(expected), text
    assert await sql(suite_settings, "SELECT id FROM messages") == []
    assert await sql(suite_settings, "SELECT message_id FROM message_deliveries") == []
