"""Research tasks and knowledge objects through odm-mcp: content by reference, their lifecycles through transition,
search, resources, and refusals that name the field and write nothing."""

from __future__ import annotations

import hashlib
import json

import pytest
from mcp.shared.exceptions import MCPError

from servers import odm
from tests.conftest import connect_client
from tests.support.odm import call, data_fingerprint, fails

TOOLSETS = "knowledge,execution"
SHA = hashlib.sha256(b"the findings").hexdigest()


async def _read(client, uri: str) -> dict:
    return json.loads((await client.read_resource(uri)).contents[0].text)


async def test_a_research_task_runs_its_lifecycle_records_outputs_by_reference_and_is_found_by_search(odm_settings, era):
    async with connect_client(odm.SPEC, odm_settings, mode=era, toolsets=TOOLSETS) as client:
        rt = await call(client, "create_research_task", name="Vector database comparison",
                        objective="compare pgvector and qdrant latency", output_type="comparison", review_required=True)
        assert rt["status_state"] == "create.draft" and rt["id"].startswith("rt-")
        await call(client, "transition", kind="research_task", id=rt["id"], status="ready", state="queued")
        await call(client, "transition", kind="research_task", id=rt["id"], status="execute", state="active")
        out = await call(client, "record_research_output", research_task_id=rt["id"], content_ref="s3://research/vdb.md",
                         content_sha256=SHA, content_size=12, summary="qdrant wins on recall")
        skip = await fails(client, "transition", kind="research_task", id=rt["id"], status="complete", state="completed")
        await call(client, "transition", kind="research_task", id=rt["id"], status="review", state="active")
        done = await call(client, "transition", kind="research_task", id=rt["id"], status="complete", state="completed")
        again = await fails(client, "transition", kind="research_task", id=rt["id"], status="ready", state="queued")
        detail = await _read(client, f"odm://research/{rt['id']}")
        hits = await call(client, "search", query="qdrant", kinds=["research_task"])
        listed = await call(client, "list_research_tasks", status_state="complete.completed")
    assert out["latest_output_ref"] == "s3://research/vdb.md"
    assert skip.startswith("[invalid_transition]") and "review_required" in skip
    assert done["status_state"] == "complete.completed"
    assert again.startswith("[invalid_transition]") and "recurrence" in again
    assert detail["latest_output_sha256"] == SHA and detail["latest_output_size"] == 12 and detail["output_count"] == 1
    assert detail["completed_at"] is not None
    assert [h["id"] for h in hits["items"]] == [rt["id"]] and hits["items"][0]["kind"] == "research_task"
    assert [i["id"] for i in listed["items"]] == [rt["id"]]


async def test_a_recurring_research_task_returns_to_ready_after_each_cycle(odm_settings):
    async with connect_client(odm.SPEC, odm_settings, toolsets=TOOLSETS) as client:
        rt = await call(client, "create_research_task", name="Weekly digest", objective="papers",
                        output_type="digest", recurrence="0 9 * * 1")
        for pair in ("ready.queued", "execute.active", "complete.completed", "ready.queued"):
            status, state = pair.split(".")
            moved = await call(client, "transition", kind="research_task", id=rt["id"], status=status, state=state)
    assert moved["status_state"] == "ready.queued"


async def test_knowledge_objects_are_stored_by_reference_or_small_inline_body_and_found_by_search(odm_settings, era):
    async with connect_client(odm.SPEC, odm_settings, mode=era, toolsets=TOOLSETS) as client:
        by_ref = await call(client, "create_knowledge_object", type="blueprint", title="Scheduler blueprint",
                            source="architecture review", summary="how orchestrators poll due schedules",
                            content_ref="git://xiopro/docs/scheduler.md", content_sha256=SHA, content_size=12)
        inline = await call(client, "create_knowledge_object", type="rule", title="Commit often", source="lead",
                            body="Uncommitted work is lost: commit early with messages that say why.")
        detail = await _read(client, f"odm://knowledge/{inline['id']}")
        hits = await call(client, "search", query="orchestrators poll")
        body_hits = await call(client, "search", query="uncommitted", kinds=["knowledge_object"])
        for pair in ("review.draft", "review.rework", "review.draft", "ready.ready"):
            status, state = pair.split(".")
            moved = await call(client, "transition", kind="knowledge_object", id=by_ref["id"], status=status, state=state)
        ready = await call(client, "list_knowledge_objects", status_state="ready.ready")
    assert by_ref["status_state"] == "create.draft" and by_ref["version"] == "1"
    body = b"Uncommitted work is lost: commit early with messages that say why."
    assert detail["content_ref"] is None and detail["content_sha256"] == hashlib.sha256(body).hexdigest()
    assert detail["content_size"] == len(body)
    assert [(h["kind"], h["id"]) for h in hits["items"]] == [("knowledge_object", by_ref["id"])]
    assert [h["id"] for h in body_hits["items"]] == [inline["id"]]
    assert moved["status_state"] == "ready.ready" and [i["id"] for i in ready["items"]] == [by_ref["id"]]


async def test_new_lifecycles_are_served_as_resources(odm_settings):
    async with connect_client(odm.SPEC, odm_settings) as client:
        research = await _read(client, "odm://lifecycles/research_task")
        know = await _read(client, "odm://lifecycles/knowledge_object")
    assert research["initial"] == "create.draft" and research["terminal"] == ["archive.archived"]
    assert "ready.queued" in research["transitions"]["complete.completed"]
    assert set(know["statuses"]) == {"create", "review", "ready", "archive"}
    assert know["transitions"]["review.draft"] == ["ready.ready", "review.rework", "archive.archived"]


async def test_bad_knowledge_input_names_the_field_and_writes_nothing(odm_settings):
    async with connect_client(odm.SPEC, odm_settings, toolsets=TOOLSETS) as client:
        rt = await call(client, "create_research_task", name="r", objective="o", output_type="digest")
        ko = await call(client, "create_knowledge_object", type="log", title="k", source="s", body="b")
        before = await data_fingerprint(odm_settings.odm_dsn)
        large = await fails(client, "create_knowledge_object", type="document", title="big", source="s", body="é" * 2049)
        no_content = await fails(client, "create_knowledge_object", type="document", title="t", source="s")
        bad_hash = await fails(client, "create_knowledge_object", type="document", title="t", source="s",
                               content_ref="s3://b/k", content_sha256="abc", content_size=3)
        outside = await fails(client, "transition", kind="knowledge_object", id=ko["id"], status="ready", state="ready")
        draft_output = await fails(client, "record_research_output", research_task_id=rt["id"],
                                   content_ref="s3://b/k", content_sha256=SHA, content_size=1)
        assert await data_fingerprint(odm_settings.odm_dsn) == before
    assert large.startswith("[invalid_argument]") and "body" in large and "4098 bytes" in large and "4096" in large
    assert no_content.startswith("[invalid_argument]") and "content_ref, content_sha256, content_size" in no_content
    assert bad_hash.startswith("[invalid_argument]") and "content_sha256" in bad_hash
    assert outside.startswith("[invalid_transition]") and "create.draft" in outside and "review.draft" in outside
    assert draft_output.startswith("[invalid_transition]") and "create.draft" in draft_output


async def test_unknown_research_and_knowledge_ids_are_not_found_resources(odm_settings):
    async with connect_client(odm.SPEC, odm_settings) as client:
        with pytest.raises(MCPError) as research:
            await client.read_resource("odm://research/rt-99")
        with pytest.raises(MCPError) as know:
            await client.read_resource("odm://knowledge/ko-99")
    assert "[not_found]" in str(research.value) and "rt-99" in str(research.value)
    assert "[not_found]" in str(know.value) and "ko-99" in str(know.value)
