"""Full-text search over the work graph: stemming, kinds, compact hits, paging, refusals."""

from __future__ import annotations

from servers import odm
from tests.conftest import connect_client
from tests.support.odm import call, fails


async def _graph(client):
    project = await call(client, "create_project", name="Payments", description="card processing")
    ticket = await call(client, "create_ticket", project_id=project["id"], title="Refund flow",
                        description="customers request refunds")
    task = await call(client, "create_task", ticket_id=ticket["id"], title="Refund API", objective="refunding cards works")
    return project, ticket, task


async def test_search_finds_stemmed_words_across_kinds_with_compact_hits(odm_settings, era):
    async with connect_client(odm.SPEC, odm_settings, mode=era) as client:
        project, ticket, task = await _graph(client)
        hits = await call(client, "search", query="refunded")
        cards = await call(client, "search", query="card")
    assert {(h["kind"], h["id"]) for h in hits["items"]} == {("ticket", ticket["id"]), ("task", task["id"])}
    assert set(hits["items"][0]) == {"kind", "id", "title", "status_state"}
    assert {h["kind"] for h in cards["items"]} == {"project", "task"}


async def test_search_by_kind_pages_and_excludes(odm_settings):
    async with connect_client(odm.SPEC, odm_settings) as client:
        _, ticket, task = await _graph(client)
        only_tasks = await call(client, "search", query="refund", kinds=["task", "idea"])
        first = await call(client, "search", query="refund", limit=1)
        second = await call(client, "search", query="refund", limit=1, cursor=first["next_cursor"])
        excluded = await call(client, "search", query="refund -api")
    assert [h["id"] for h in only_tasks["items"]] == [task["id"]]
    assert len(first["items"]) == len(second["items"]) == 1 and second["next_cursor"] is None
    assert {first["items"][0]["id"], second["items"][0]["id"]} == {ticket["id"], task["id"]}
    assert [h["id"] for h in excluded["items"]] == [ticket["id"]]


async def test_search_refuses_empty_queries_unknown_kinds_and_bad_cursors(odm_settings):
    async with connect_client(odm.SPEC, odm_settings) as client:
        blank = await fails(client, "search", query="   ")
        kind = await fails(client, "search", query="x", kinds=["session"])
        cursor = await fails(client, "search", query="x", cursor="not-a-cursor")
    assert blank.startswith("[invalid_argument]") and kind.startswith("[invalid_argument]")
    assert cursor.startswith("[invalid_argument]") and "cursor" in cursor
