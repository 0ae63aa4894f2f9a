"""The attention queue by hand (spec 4.14): every field, queue order, status changes, completed_at, dedup."""

from __future__ import annotations

import json

import pytest

from bus.domain.todos import TRANSITIONS, check_transition
from tests.bus.support import bus_client, call, call_error, sql

STATUSES = ("open", "in_progress", "done", "dismissed")
SPEC_FIELDS = {
    "id", "title", "description", "priority", "status", "environment", "linked_type", "linked_id", "linked_url",
    "assigned_to", "created_by", "created_at", "completed_at", "sort_order",
}


@pytest.mark.parametrize("current", STATUSES)
@pytest.mark.parametrize("target", STATUSES)
def test_todo_status_table(current, target):
    if current == target:
        assert check_transition(current, target) is False
    elif target in TRANSITIONS[current]:
        assert check_transition(current, target) is True
    else:
        with pytest.raises(ValueError, match=f"cannot go from {current} to {target}; allowed next: open"):
            check_transition(current, target)


async def test_created_todo_has_every_spec_field_and_defaults_to_the_primary_user(suite_settings, era):
    async with bus_client(suite_settings, mode=era, primary_user="dana") as client:
        ref = await call(client, "create_todo", title="Renew the DNS certificate", created_by="GO",
                         description="expires Friday", priority="high", environment="dns", linked_type="task",
                         linked_id="1001.02", linked_url="odm://tasks/1001.02")
        full = json.loads((await client.read_resource(f"bus://todos/{ref['id']}")).contents[0].text)
    assert set(full) == SPEC_FIELDS
    assert full["assigned_to"] == "dana" and full["created_by"] == "GO" and full["status"] == "open"
    assert (full["environment"], full["linked_type"], full["linked_id"]) == ("dns", "task", "1001.02")
    assert full["completed_at"] is None and full["sort_order"] == 1


async def test_queue_is_most_urgent_first_then_sort_order_and_pages_with_a_cursor(suite_settings):
    async with bus_client(suite_settings) as client:
        for title, priority in [("l", "low"), ("m1", "medium"), ("c", "critical"), ("m2", "medium"), ("h", "high")]:
            await call(client, "create_todo", title=title, created_by="GO", priority=priority)
        first = await call(client, "list_todos", limit=3)
        rest = await call(client, "list_todos", limit=3, cursor=first["next_cursor"])
        m2 = next(t for t in rest["items"] if t["title"] == "m2")
        await call(client, "update_todo", id=m2["id"], sort_order=0)  # manual reordering within the band
        reordered = await call(client, "list_todos", priority="medium")
    assert [t["title"] for t in first["items"] + rest["items"]] == ["c", "h", "m1", "m2", "l"]
    assert rest["next_cursor"] is None
    assert [t["title"] for t in reordered["items"]] == ["m2", "m1"]


async def test_done_and_dismissed_set_completed_at_and_reopening_clears_it(suite_settings, era):
    async with bus_client(suite_settings, mode=era) as client:
        todo = await call(client, "create_todo", title="t", created_by="GO")
        started = await call(client, "update_todo", id=todo["id"], status="in_progress")
        done = await call(client, "update_todo", id=todo["id"], status="done")
        refused = await call_error(client, "update_todo", id=todo["id"], status="dismissed")
        reopened = await call(client, "update_todo", id=todo["id"], status="open")
        dismissed = await call(client, "update_todo", id=todo["id"], status="dismissed")
        closed = await call(client, "list_todos", status="closed")
    assert started["completed_at"] is None and done["completed_at"] is not None
    assert refused.startswith(f"[invalid_transition] todo {todo['id']} cannot go from done to dismissed; allowed next: open")
    assert reopened["completed_at"] is None and dismissed["completed_at"] is not None
    assert [t["id"] for t in closed["items"]] == [todo["id"]]


async def test_a_second_open_todo_for_one_linked_object_is_refused(suite_settings):
    async with bus_client(suite_settings) as client:
        first = await call(client, "create_todo", title="a", created_by="GO", linked_type="alert", linked_id="7")
        refused = await call_error(client, "create_todo", title="b", created_by="002", linked_type="alert", linked_id="7")
        await call(client, "update_todo", id=first["id"], status="done")
        second = await call(client, "create_todo", title="b", created_by="002", linked_type="alert", linked_id="7")
        reopen = await call_error(client, "update_todo", id=first["id"], status="open")
    assert refused.startswith(f"[conflict] todo {first['id']} is already open for alert 7")
    assert second["status"] == "open"
    assert reopen.startswith(f"[conflict] todo {second['id']} is open for alert 7")


@pytest.mark.parametrize(
    "tool, arguments, expected",
    [
        ("create_todo", {"title": "x", "created_by": "system"}, "[invalid_argument] created_by \"system\" is reserved"),
        ("create_todo", {"title": " ", "created_by": "GO"}, "[invalid_argument] create_todo: title: must not be empty"),
        ("create_todo", {"title": "x"}, "[invalid_argument] create_todo: created_by: is required"),
        ("create_todo", {"title": "x", "created_by": "GO", "priority": "urgent"}, "[invalid_argument] create_todo: priority"),
        ("create_todo", {"title": "x", "created_by": "GO", "linked_type": "ticket", "linked_id": "1"},
         "[invalid_argument] create_todo: linked_type"),
        ("create_todo", {"title": "x", "created_by": "GO", "linked_id": "1"}, "[invalid_argument] linked_id needs linked_type"),
        ("create_todo", {"title": "x", "created_by": "GO", "sort_order": 10**9}, "[invalid_argument] create_todo: sort_order"),
        ("update_todo", {"id": "00000000-0000-0000-0000-000000000000", "status": "done"}, "[not_found] no todo"),
        ("update_todo", {"id": "not-a-uuid"}, "[invalid_argument] update_todo: id"),
        ("update_todo", {"id": "00000000-0000-0000-0000-000000000000", "status": "closed"}, "[invalid_argument] update_todo: status"),
        ("list_todos", {"status": "pending"}, "[invalid_argument] list_todos: status"),
        ("list_todos", {"cursor": "garbage"}, "[invalid_argument] cursor is not one this tool returned"),
    ],
)
async def test_bad_todo_input_is_refused_and_changes_nothing(suite_settings, tool, arguments, expected):
    async with bus_client(suite_settings) as client:
        text = await call_error(client, tool, **arguments)
    assert text.startswith(expected), text
    assert await sql(suite_settings, "SELECT id FROM user_todos") == []


async def test_attention_brief_prompt_lists_the_open_queue_most_urgent_first(suite_settings, era):
    async with bus_client(suite_settings, mode=era) as client:
        await call(client, "create_todo", title="Approve the deploy", created_by="GO", priority="high",
                   linked_type="approval", linked_id="1001.03", linked_url="odm://tasks/1001.03")
        await call(client, "create_todo", title="Rotate the keys", created_by="GO", priority="critical",
                   assigned_to="dana", description="old keys leak")
        done = await call(client, "create_todo", title="Old news", created_by="GO")
        await call(client, "update_todo", id=done["id"], status="done")
        prompts = [p.name for p in (await client.list_prompts()).prompts]
        everyone = (await client.get_prompt("attention_brief", {})).messages[0].content.text
        dana = (await client.get_prompt("attention_brief", {"assigned_to": "dana"})).messages[0].content.text
    assert prompts == ["attention_brief"]
    assert "holds 2 open todo(s)" in everyone and "Old news" not in everyone
    assert everyone.index("1. [critical] Rotate the keys") < everyone.index("2. [high] Approve the deploy")
    assert "[approval 1001.03](odm://tasks/1001.03)" in everyone and "   old keys leak" in everyone
    assert "briefing dana" in dana and "Approve the deploy" not in dana


async def test_attention_brief_of_an_empty_queue_says_so(suite_settings):
    async with bus_client(suite_settings) as client:
        text = (await client.get_prompt("attention_brief", {})).messages[0].content.text
    assert "holds 0 open todo(s)" in text and "(the queue is empty)" in text
