"""transition for every kind, forced moves with Override Records, and promotion of ideas and threads."""

from __future__ import annotations

from servers import odm
from tests.conftest import connect_client
from tests.support.odm import call, fails


async def test_every_kind_moves_only_along_its_table(odm_settings, era):
    async with connect_client(odm.SPEC, odm_settings, mode=era, toolsets="planning") as client:
        project = await call(client, "create_project", name="P")
        sprint = await call(client, "create_sprint", project_id=project["id"], name="S",
                            start_date="2026-01-01T00:00:00Z", end_date="2026-01-14T00:00:00Z")
        idea = await call(client, "create_idea", title="i")
        thread = await call(client, "create_thread", thread_type="intake", title="t")
        moves = [
            ("project", project["id"], "ready", "ready"), ("project", project["id"], "execute", None),
            ("sprint", sprint["id"], "ready", "ready"), ("sprint", sprint["id"], "execute", "active"),
            ("idea", idea["id"], "under_discussion", None), ("idea", idea["id"], "deferred", None),
            ("discussion_thread", thread["id"], "discussion", "active"),
            ("discussion_thread", thread["id"], "discussion", "waiting"),
        ]
        results = [await call(client, "transition", kind=k, id=i, status=s, **({"state": st} if st else {}))
                   for k, i, s, st in moves]
        refused = await fails(client, "transition", kind="idea", id=idea["id"], status="approved")
        same = await fails(client, "transition", kind="sprint", id=sprint["id"], status="execute", state="active")
        ambiguous = await fails(client, "transition", kind="project", id=project["id"], status="execute")
        wrong_kind = await fails(client, "transition", kind="ticket", id=project["id"], status="plan", state="draft")
    assert [r["status_state"] for r in results] == [
        "ready.ready", "execute.active", "ready.ready", "execute.active", "under_discussion.active", "deferred.paused",
        "discussion.active", "discussion.waiting"]
    assert results[1]["previous"] == "ready.ready" and results[1]["status"] == "execute" and results[1]["state"] == "active"
    assert refused == ("[invalid_transition] idea idea-1 cannot go from deferred.paused to approved.ready; "
                       "allowed next: under_discussion.active, rejected.cancelled, archived.archived")
    assert same.startswith("[invalid_transition]") and "already execute.active" in same
    assert ambiguous.startswith("[invalid_transition]") and "say which state of execute" in ambiguous
    assert wrong_kind.startswith("[not_found]") and "looks like a project id" in wrong_kind


async def test_a_forced_move_needs_a_reason_and_writes_an_override_record(odm_settings):
    async with connect_client(odm.SPEC, odm_settings, toolsets="planning") as client:
        project = await call(client, "create_project", name="P")
        no_reason = await fails(client, "transition", kind="project", id=project["id"], status="complete",
                                state="completed", override=True)
        invalid_pair = await fails(client, "transition", kind="project", id=project["id"], status="complete",
                                   state="active", override=True, reason="x")
        forced = await call(client, "transition", kind="project", id=project["id"], status="complete",
                            state="completed", override=True, reason="closed by the founder")
        records = await call(client, "list_overrides", scope_type="project", scope_ref=project["id"])
    assert no_reason.startswith("[invalid_argument]") and "needs a reason" in no_reason
    assert invalid_pair.startswith("[invalid_transition]") and "not a project status.state even by override" in invalid_pair
    assert forced["override_record_id"] == records["items"][0]["id"]
    record = records["items"][0]
    assert (record["prior_state_ref"], record["applied_change_ref"], record["override_type"]) == (
        "create.draft", "complete.completed", "bypass")
    assert record["reason"] == "closed by the founder" and record["issued_by"] == "user-1"  # the primary user


async def test_completing_a_project_archives_its_roster(odm_settings):
    async with connect_client(odm.SPEC, odm_settings, toolsets="planning") as client:
        project = await call(client, "create_project", name="P")
        await call(client, "set_roster_member", project_id=project["id"], agent_id="000", roles=["orchestrator"],
                   is_project_orchestrator=True)
        roster = await call(client, "set_roster_member", project_id=project["id"], agent_id="002", roles=["coder"],
                            allocation="full_time", is_project_orchestrator=True)
        for status, state in (("ready", "ready"), ("execute", "active"), ("review", "active"), ("complete", "completed")):
            done = await call(client, "transition", kind="project", id=project["id"], status=status, state=state)
        after = await call(client, "get_project", id=project["id"])
        closed = await fails(client, "set_roster_member", project_id=project["id"], agent_id="003")
    assert [(m["agent_id"], m["is_project_orchestrator"]) for m in roster["members"]] == [("000", False), ("002", True)]
    assert "roster archived (2 agents freed)" in done["effects"] and after["roster"] == []
    assert closed.startswith("[conflict]")


async def test_an_approved_idea_becomes_a_ticket_and_is_marked_ticketed(odm_settings, era):
    async with connect_client(odm.SPEC, odm_settings, mode=era, toolsets="planning") as client:
        project = await call(client, "create_project", name="P")
        idea = await call(client, "create_idea", title="dark mode", description="themes", priority="high")
        early = await fails(client, "promote_idea", idea_id=idea["id"], project_id=project["id"])
        for status in ("under_discussion", "approved"):
            await call(client, "transition", kind="idea", id=idea["id"], status=status)
        plain = await fails(client, "transition", kind="idea", id=idea["id"], status="ticketed")
        ticket = await call(client, "promote_idea", idea_id=idea["id"], project_id=project["id"])
        listed = await call(client, "list_ideas", status=["ticketed"])
    assert early.startswith("[invalid_transition]") and "allowed next: under_discussion.active" in early
    assert plain.startswith("[invalid_transition]") and "promote_idea" in plain
    assert ticket["id"] == "1001" and ticket["title"] == "dark mode" and ticket["priority"] == "high"
    assert listed["items"][0]["ticket_id"] == "1001" and listed["items"][0]["status_state"] == "ticketed.completed"


async def test_a_thread_in_review_is_promoted_into_a_ticket_and_keeps_its_ideas(odm_settings):
    async with connect_client(odm.SPEC, odm_settings, toolsets="planning") as client:
        project = await call(client, "create_project", name="P")
        idea = await call(client, "create_idea", title="i")
        thread = await call(client, "create_thread", thread_type="design", title="Shape it", project_id=project["id"],
                            idea_ids=[idea["id"]])
        other = await call(client, "create_idea", title="j", thread_ids=[thread["id"]])
        linked = await call(client, "link_idea_thread", idea_id=idea["id"], thread_id=thread["id"])
        for status, state in (("discussion", "active"), ("review", "active")):
            await call(client, "transition", kind="discussion_thread", id=thread["id"], status=status, state=state)
        ticket = await call(client, "promote_thread", thread_id=thread["id"])
        threads = await call(client, "list_threads", status_state="complete.promoted")
    assert linked["thread_ids"] == [thread["id"]] and other["thread_ids"] == [thread["id"]]
    assert ticket["title"] == "Shape it" and ticket["project_id"] == project["id"]
    promoted = threads["items"][0]
    assert promoted["linked_ticket_id"] == ticket["id"] and promoted["idea_ids"] == [idea["id"], other["id"]]
