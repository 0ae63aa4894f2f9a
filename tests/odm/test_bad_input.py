"""Every odm-mcp tool refuses bad input with a [code] error and changes nothing (checked row by row)."""

from __future__ import annotations

from typing import Any

import pytest

from servers import odm
from tests.conftest import connect_client
from tests.support.odm import call, data_fingerprint

LONG = "x" * 20001  # past every free-text limit
TITLE = "x" * 201
WHEN = {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-01-14T00:00:00Z"}
NOT_FOUND, INVALID, TRANSITION, CONFLICT, CYCLE = ("not_found", "invalid_argument", "invalid_transition", "conflict",
                                                  "dependency_cycle")

OUTPUT = {"content_ref": "s3://bucket/out.md", "content_sha256": "0" * 64, "content_size": 1}
KNOW = {"type": "document", "title": "k", "source": "test"}
# "$R" research task, "$K" knowledge object, "$C" a cancelled schedule;
# "$P" project, "$T" ticket, "$A"/"$B" tasks (B depends on A), "$I" idea, "$H" thread, "$S" sprint
CASES: dict[str, list[tuple[dict[str, Any], str]]] = {
    "create_project": [({"name": TITLE}, INVALID), ({"name": "x", "parent_project_id": "$T"}, NOT_FOUND),
                       ({"name": "x", "parent_project_id": "proj-99"}, NOT_FOUND), ({"name": " "}, INVALID),
                       ({"name": "x", "colour": "red"}, INVALID), ({}, INVALID),
                       ({"name": "x", "description": LONG}, INVALID)],
    "create_ticket": [({"project_id": "$T", "title": "x"}, NOT_FOUND), ({"project_id": "$P", "title": "x", "priority": "urgent"}, INVALID),
                      ({"project_id": "$P", "title": "x", "plan_cost": -1}, INVALID),
                      ({"project_id": "$P", "title": "x", "plan_duration": -1}, INVALID),
                      ({"project_id": "$P", "title": "x", "description": LONG}, INVALID),
                      ({"project_id": "$P", "title": "x", "topics": ["topic-99"]}, NOT_FOUND)],
    "create_task": [({"ticket_id": "$P", "title": "x", "objective": "o"}, NOT_FOUND),
                    ({"ticket_id": "1999", "title": "x", "objective": "o"}, NOT_FOUND),
                    ({"ticket_id": "$T", "title": "x", "objective": "o", "risk_level": "extreme"}, INVALID),
                    ({"ticket_id": "$T", "title": "x", "objective": "o", "plan_cost": -0.01}, INVALID),
                    ({"ticket_id": "$T", "title": "x", "objective": "o", "cost_cap": -5}, INVALID),
                    ({"ticket_id": "$T", "title": "x", "objective": LONG}, INVALID),
                    ({"ticket_id": "$T", "title": "x", "objective": ""}, INVALID),
                    ({"ticket_id": "$T", "title": "x", "objective": "o", "acceptance_criteria": ["y" * 2001]}, INVALID),
                    ({"ticket_id": "$T", "title": "x", "objective": "o", "depends_on": ["1001.99"]}, NOT_FOUND),
                    ({"ticket_id": "$T", "title": "x", "objective": "o", "depends_on": ["$T"]}, NOT_FOUND)],
    "update_task": [({"id": "1001.99", "title": "x"}, NOT_FOUND), ({"id": "$T", "title": "x"}, NOT_FOUND),
                    ({"id": "$A", "priority": "meh"}, INVALID), ({"id": "$A", "plan_cost": -1}, INVALID),
                    ({"id": "$A", "title": TITLE}, INVALID), ({"id": "$A", "depends_on": ["$B"]}, CYCLE),
                    ({"id": "$A", "depends_on": ["$A"]}, CYCLE), ({"id": "$A", "claim_token": 999, "title": "y"}, CONFLICT),
                    ({"id": "$B", "depends_on": ["1001.77"]}, NOT_FOUND), ({"id": "$A", "objective": ""}, INVALID)],
    "transition": [({"kind": "session", "id": "$A", "status": "complete", "state": "completed"}, INVALID),
                   ({"kind": "task", "id": "$T", "status": "plan", "state": "draft"}, NOT_FOUND),
                   ({"kind": "task", "id": "$A", "status": "complete", "state": "active"}, TRANSITION),
                   ({"kind": "task", "id": "$A", "status": "execute", "state": "active"}, TRANSITION),
                   ({"kind": "ticket", "id": "$T", "status": "archive", "state": "archived"}, TRANSITION),
                   ({"kind": "task", "id": "$A", "status": "x" * 65}, INVALID),
                   ({"kind": "research_task", "id": "$R", "status": "complete", "state": "completed"}, TRANSITION),
                   ({"kind": "research_task", "id": "rt-99", "status": "ready", "state": "queued"}, NOT_FOUND),
                   ({"kind": "knowledge_object", "id": "$K", "status": "ready", "state": "ready"}, TRANSITION),
                   ({"kind": "knowledge_object", "id": "$K", "status": "complete", "state": "completed"}, TRANSITION),
                   ({"kind": "task", "id": "$A", "status": "complete", "state": "cancelled", "override": True}, INVALID),
                   ({"kind": "task", "id": "$A", "status": "complete", "state": "cancelled", "reason": "y" * 2001}, INVALID),
                   ({"kind": "task", "id": "$A", "status": "complete", "state": "cancelled", "claim_token": 5}, CONFLICT)],
    "record_activity": [({"task_id": "$A", "agent_runtime_id": "a"}, INVALID),
                        ({"task_id": "1001.99", "agent_runtime_id": "a"}, NOT_FOUND),
                        ({"task_id": "$A", "agent_runtime_id": "a", "prompt_tokens": -1}, INVALID),
                        ({"task_id": "$A", "agent_runtime_id": "a", "actual_cost": -0.5}, INVALID),
                        ({"task_id": "$A", "agent_runtime_id": "a", "duration_ms": -1}, INVALID),
                        ({"task_id": "$A", "agent_runtime_id": "a", "activity_type": "nap"}, INVALID),
                        ({"task_id": "$A", "agent_runtime_id": "a", "claim_token": 77}, CONFLICT)],
    "record_activities": [({"items": []}, INVALID), ({"items": [{"task_id": "$A", "agent_runtime_id": "a"}]}, INVALID),
                          ({"items": [{"task_id": "1001.99", "agent_runtime_id": "a"}]}, NOT_FOUND),
                          ({"items": [{"task_id": "$A", "agent_runtime_id": "a", "cached_tokens": -3}]}, INVALID),
                          ({"items": [{"task_id": "$A", "agent_runtime_id": "a", "started_at": "2026-12-03T10:00:00Z",
                                       "ended_at": "2026-12-03T09:00:00Z"}]}, INVALID),
                          ({"items": [{"task_id": "$A", "agent_runtime_id": "a", "started_at": "1990-01-01T00:00:00Z"}]},
                           INVALID),
                          ({"items": [{"task_id": "$A", "agent_runtime_id": "a", "started_at": "yesterday"}]}, INVALID)],
    "complete_activity": [({"activity_id": "act-202612-999"}, NOT_FOUND), ({"activity_id": "nonsense"}, NOT_FOUND),
                          ({"activity_id": "act-202612-1", "result_status": "great"}, INVALID)],
    "evaluate_activity": [({"activity_id": "act-202612-999"}, NOT_FOUND),
                          ({"activity_id": "act-202612-1", "score": 2}, INVALID),
                          ({"activity_id": "act-202612-1", "reviewer_type": "robot"}, INVALID)],
    "list_activities": [({"since": "2026-12-03T00:00:00Z", "until": "2026-12-01T00:00:00Z"}, INVALID),
                        ({"since": "2020-01-01T00:00:00Z", "until": "2026-01-01T00:00:00Z"}, INVALID),
                        ({"since": "not a date"}, INVALID), ({"since": "2026-12-01T00:00:00"}, INVALID),
                        ({"cursor": "zzz"}, INVALID)],
    "set_budget": [({"kind": "task", "id": "$A", "soft_limit": 1}, INVALID),
                   ({"kind": "ticket", "id": "$T", "hard_limit": -1}, INVALID),
                   ({"kind": "sprint", "id": "spr-99", "hard_limit": 1}, NOT_FOUND),
                   ({"kind": "epic", "id": "$T"}, INVALID),
                   ({"kind": "ticket", "id": "$T", "soft_limit": 5, "hard_limit": 1}, INVALID),
                   ({"kind": "project", "id": "$P", "warning_threshold_pct": 0}, INVALID),
                   ({"kind": "ticket", "id": "$T", "cost_cap": 1}, INVALID)],
    "execution_report": [({"timeframe": "weekly"}, INVALID), ({"format": "pdf"}, INVALID),
                         ({"timeframe": "custom"}, INVALID), ({"from": "soon"}, INVALID),
                         ({"timeframe": "custom", "from": "2026-12-03T00:00:00Z", "to": "2026-12-01T00:00:00Z"}, INVALID),
                         ({"timeframe": "hourly", "to": "2026-12-01T00:00:00Z"}, INVALID),
                         ({"ticket_id": "1999"}, NOT_FOUND), ({"ticket_id": "$A"}, NOT_FOUND)],
    "escalate": [({"task_id": "1999.01", "summary": "s"}, NOT_FOUND), ({"task_id": "$T", "summary": "s"}, NOT_FOUND),
                 ({"task_id": "$A", "summary": "s"}, TRANSITION), ({"task_id": "$A", "summary": ""}, INVALID),
                 ({"task_id": "$A", "summary": "s", "options": ["a"], "recommended_option": "b"}, INVALID),
                 ({"task_id": "$A", "summary": "s", "urgency": "asap"}, INVALID),
                 ({"task_id": "$A", "summary": "s", "trigger_type": "boredom"}, INVALID),
                 ({"task_id": "$A", "summary": "s", "due_at": "tomorrow"}, INVALID),
                 ({"task_id": "$A", "summary": "s", "due_at": "2001-01-01T00:00:00Z"}, INVALID)],
    "decide": [({"escalation_id": "esc-99", "decision_type": "approve", "created_by": "f"}, NOT_FOUND),
               ({"escalation_id": "esc-99", "decision_type": "veto", "created_by": "f"}, INVALID),
               ({"escalation_id": "esc-99", "decision_type": "approve"}, INVALID),
               ({"escalation_id": "esc-99", "decision_type": "reject", "reject_to": "void", "created_by": "f"}, INVALID),
               ({"escalation_id": "esc-99", "decision_type": "postpone", "due_at": "soon", "created_by": "f"}, INVALID)],
    "next_task": [({"agent_id": ""}, INVALID), ({"agent_id": "a", "project_id": "$T"}, NOT_FOUND),
                  ({"agent_id": "a", "lease_seconds": 1}, INVALID), ({"agent_id": "a", "lease_seconds": -5}, INVALID),
                  ({"agent_id": "a" * 101}, INVALID)],
    "evolve_ticket": [({"ticket_id": "$A", "action": "defer", "reason": "r"}, NOT_FOUND),
                      ({"ticket_id": "$T", "action": "explode", "reason": "r"}, INVALID),
                      ({"ticket_id": "$T", "action": "split", "reason": "r", "parts": [{"title": "a"}]}, INVALID),
                      ({"ticket_id": "$T", "action": "split", "reason": "r",
                        "parts": [{"title": "a", "plan_cost": -1}, {"title": "b"}]}, INVALID),
                      ({"ticket_id": "$T", "action": "split", "reason": "r",
                        "parts": [{"title": "a", "task_ids": ["$A"]}, {"title": "b", "task_ids": ["$A"]}]}, INVALID),
                      ({"ticket_id": "$T", "action": "merge", "reason": "r"}, INVALID),
                      ({"ticket_id": "$T", "action": "merge", "reason": "r", "target_ticket_id": "1999"}, NOT_FOUND),
                      ({"ticket_id": "$T", "action": "revive", "reason": "r"}, TRANSITION),
                      ({"ticket_id": "$T", "action": "defer", "reason": ""}, INVALID),
                      ({"ticket_id": "$T", "action": "reassign", "reason": "r", "project_id": "proj-99"}, NOT_FOUND)],
    "search": [({"query": " "}, INVALID), ({"query": "x", "kinds": ["user"]}, INVALID), ({"query": "x", "limit": 0}, INVALID),
               ({"query": "x", "limit": 201}, INVALID), ({"query": "x" * 501}, INVALID), ({"query": "x", "cursor": "!"}, INVALID)],
    "list_projects": [({"limit": 0}, INVALID), ({"cursor": "zz"}, INVALID)],
    "get_project": [({"id": "$T"}, NOT_FOUND), ({"id": "proj-99"}, NOT_FOUND)],
    "update_project": [({"id": "proj-99", "name": "n"}, NOT_FOUND), ({"id": "$P", "lifecycle_phase": "done"}, INVALID),
                       ({"id": "$P", "topics": ["topic-99"]}, NOT_FOUND), ({"id": "$P", "description": LONG}, INVALID)],
    "set_roster_member": [({"project_id": "proj-99", "agent_id": "a"}, NOT_FOUND),
                          ({"project_id": "$P", "agent_id": "a", "allocation": "always"}, INVALID)],
    "remove_roster_member": [({"project_id": "$P", "agent_id": "nobody"}, NOT_FOUND)],
    "create_sprint": [({"project_id": "$P", "name": "s", "start_date": "2026-02-01T00:00:00Z",
                        "end_date": "2026-01-01T00:00:00Z"}, INVALID),
                      ({"project_id": "proj-99", "name": "s", **WHEN}, NOT_FOUND),
                      ({"project_id": "$P", "name": "s", "start_date": "tomorrow", "end_date": WHEN["end_date"]}, INVALID)],
    "list_sprints": [({"limit": 500}, INVALID)],
    "list_tickets": [({"status_state": "done.done"}, INVALID), ({"cursor": "zz"}, INVALID)],
    "update_ticket": [({"id": "1999", "title": "t"}, NOT_FOUND), ({"id": "$T", "sprint_id": "spr-99"}, NOT_FOUND),
                      ({"id": "$T", "plan_duration": -1}, INVALID), ({"id": "$A", "title": "t"}, NOT_FOUND)],
    "import_ticket": [({"id": "1001", "project_id": "$P", "title": "x"}, INVALID),
                      ({"id": "069", "project_id": "proj-99", "title": "x"}, NOT_FOUND),
                      ({"id": "069", "project_id": "$P", "title": "x", "status": "complete", "state": "active"}, INVALID)],
    "list_tasks": [({"status_state": ["running"]}, INVALID), ({"cursor": "zz"}, INVALID)],
    "assign_task": [({"id": "1001.99", "agent_id": "a"}, NOT_FOUND), ({"id": "$A", "agent_id": ""}, INVALID),
                    ({"id": "$A", "agent_id": "a", "claim_token": 3}, CONFLICT)],
    "renew_claims": [({"agent_id": ""}, INVALID), ({"agent_id": "a", "lease_seconds": 0}, INVALID)],
    "release_claims": [({"agent_id": ""}, INVALID)],
    "list_overrides": [({"limit": 0}, INVALID)],
    "create_idea": [({"title": "x", "topic_id": "topic-99"}, NOT_FOUND), ({"title": "x", "source": "dream2"}, INVALID),
                    ({"title": "x", "thread_ids": ["thr-99"]}, NOT_FOUND), ({"title": TITLE}, INVALID),
                    ({"title": "x", "review_cycle": "daily"}, INVALID)],
    "list_ideas": [({"status": ["maybe"]}, INVALID)],
    "promote_idea": [({"idea_id": "idea-99", "project_id": "$P"}, NOT_FOUND), ({"idea_id": "$I", "project_id": "$P"}, TRANSITION),
                     ({"idea_id": "$H", "project_id": "$P"}, NOT_FOUND)],
    "create_thread": [({"thread_type": "chat"}, INVALID), ({"thread_type": "intake", "idea_ids": ["idea-99"]}, NOT_FOUND),
                      ({"thread_type": "intake", "linked_task_id": "$T"}, NOT_FOUND),
                      ({"thread_type": "intake", "summary": LONG}, INVALID)],
    "link_idea_thread": [({"idea_id": "$I", "thread_id": "thr-99"}, NOT_FOUND), ({"idea_id": "$H", "thread_id": "$H"}, NOT_FOUND)],
    "promote_thread": [({"thread_id": "$H"}, TRANSITION), ({"thread_id": "thr-99"}, NOT_FOUND)],
    "list_threads": [({"limit": -1}, INVALID)],
    "create_topic": [({"name": "x", "parent_topic_id": "topic-99"}, NOT_FOUND), ({"name": TITLE}, INVALID),
                     ({"name": "x", "related_topic_ids": ["topic-98"]}, NOT_FOUND)],
    "list_topics": [({"limit": 0}, INVALID)],
    "create_user": [({"name": "x", "email": "not-an-email"}, INVALID), ({"name": "x", "role": "king"}, INVALID),
                    ({"name": "operator"}, CONFLICT), ({"name": "x", "notification_channels": ["pigeon"]}, INVALID)],
    "list_users": [({"all": True}, INVALID)],
    "register_host": [({"name": "h", "role": "toaster"}, INVALID), ({"name": "h", "role": "worker", "vcpus": -1}, INVALID),
                      ({"name": "h", "role": "worker", "ram_gb": -2}, INVALID)],
    "list_hosts": [({"all": True}, INVALID)],
    "create_research_task": [({"name": "x", "objective": "o", "output_type": "essay"}, INVALID),
                             ({"name": "x", "objective": "o", "output_type": "digest", "ticket_id": "1999"}, NOT_FOUND),
                             ({"name": "x", "objective": "o", "output_type": "digest", "parent_task_id": "$T"}, NOT_FOUND),
                             ({"name": TITLE, "objective": "o", "output_type": "digest"}, INVALID),
                             ({"name": "x", "objective": LONG, "output_type": "digest"}, INVALID)],
    "record_research_output": [({**OUTPUT, "research_task_id": "$R"}, TRANSITION), ({**OUTPUT, "research_task_id": "rt-99"}, NOT_FOUND),
                               ({**OUTPUT, "research_task_id": "$R", "content_sha256": "xyz"}, INVALID),
                               ({**OUTPUT, "research_task_id": "$R", "content_ref": "no-scheme"}, INVALID),
                               ({**OUTPUT, "research_task_id": "$R", "content_size": -1}, INVALID)],
    "list_research_tasks": [({"status_state": "execute.rework"}, INVALID), ({"limit": 0}, INVALID), ({"cursor": "zz"}, INVALID)],
    "create_knowledge_object": [({**KNOW, "body": "x" * 4097}, INVALID), (KNOW, INVALID),
                                ({**KNOW, "body": "b", "content_ref": "s3://b/k"}, INVALID),
                                ({**KNOW, "body": "b", "content_sha256": "0" * 64}, INVALID),
                                ({**KNOW, "type": "essay", "body": "b"}, INVALID),
                                ({**KNOW, "body": "b", "research_task_id": "rt-99"}, NOT_FOUND),
                                ({**KNOW, "body": "b", "topics": ["topic-99"]}, NOT_FOUND)],
    "list_knowledge_objects": [({"status_state": "complete.completed"}, INVALID), ({"type": "essay"}, INVALID)],
    "schedule": [({"mode": "periodic", "task_id": "$A", "cron_expr": "61 * * * *"}, INVALID),
                 ({"mode": "periodic", "task_id": "$A"}, INVALID), ({"mode": "immediate", "task_id": "1001.99"}, NOT_FOUND),
                 ({"mode": "immediate"}, INVALID), ({"mode": "delayed", "task_id": "$A"}, INVALID),
                 ({"mode": "immediate", "task_id": "$A", "timezone": "Mars/Olympus"}, INVALID),
                 ({"mode": "event_driven", "task_id": "$A"}, INVALID), ({"mode": "hourly", "task_id": "$A"}, INVALID),
                 ({"mode": "immediate", "research_task_id": "rt-99"}, NOT_FOUND),
                 ({"mode": "immediate", "task_id": "$A", "cron_expr": "* * * * *"}, INVALID)],
    "due_schedules": [({"now": "2026-01-01T00:00:00"}, INVALID), ({"now": "1999-01-01T00:00:00Z"}, INVALID),
                      ({"limit": 0}, INVALID)],
    "fire_event": [({"event": ""}, INVALID), ({"event": "x" * 201}, INVALID)],
    "list_schedules": [({"status": "paused"}, INVALID), ({"limit": 0}, INVALID)],
    "set_time_target": [({"task_id": "1001.99", "plan_duration_minutes": 5}, NOT_FOUND), ({"task_id": "$A"}, INVALID),
                        ({"task_id": "$A", "plan_duration_minutes": -1}, INVALID),
                        ({"task_id": "$A", "sla_due_at": "2026-01-01T00:00:00"}, INVALID)],
    "cancel_schedule": [({"schedule_id": "sch-99"}, NOT_FOUND), ({"schedule_id": "$C"}, CONFLICT)],
    # execution: "000" is the shipped master template (max_parallel_runs 1, no runtime yet)
    "create_agent_template": [({"agent_id": "1", "name": "x", "roles": ["worker"]}, INVALID),
                              ({"agent_id": "001", "name": "x", "roles": ["worker"], "is_master": True}, INVALID),
                              ({"agent_id": "000", "name": "x", "roles": ["orchestrator"], "is_master": True}, CONFLICT),
                              ({"agent_id": "002", "name": "x", "roles": []}, INVALID),
                              ({"agent_id": "002", "name": "x", "roles": ["boss"]}, INVALID),
                              ({"agent_id": "002", "name": "x", "roles": ["worker"], "previous_version": 1}, INVALID),
                              ({"agent_id": "002", "name": "x", "roles": ["worker"],
                                "spawn_policy": {"max_children": -1}}, INVALID)],
    "register_surface": [({"name": "s", "type": "vscode", "provider": "p", "auth_mode": "api_key"}, INVALID),
                         ({"name": "s", "type": "codex", "provider": "p", "auth_mode": "free"}, INVALID)],
    "spawn_runtime": [({"agent_id": "1011", "template": "000"}, INVALID), ({"agent_id": "101", "template": "404"}, NOT_FOUND),
                      ({"agent_id": "101", "template": "000", "parent_runtime_id": "999"}, NOT_FOUND),
                      ({"agent_id": "101", "template": "000", "execution_surface_id": "srf-9"}, NOT_FOUND)],
    "transition_runtime": [({"runtime_id": "999", "to": "execute.active"}, NOT_FOUND), ({"runtime_id": "abc", "to": "x"}, INVALID)],
    "open_session": [({"runtime_id": "999", "execution_surface_id": "srf-1"}, NOT_FOUND)],
    "transition_session": [({"session_id": "ses-9", "to": "complete.closed"}, NOT_FOUND),
                           ({"session_id": "ses-9", "to": "x", "transcript": {"uri": "s3://a", "sha256": "zz", "bytes": 1}},
                            INVALID)],
    "intervene": [({"scope_type": "task", "scope_ref": "x", "reason": "r", "mode": "pause"}, INVALID),
                  ({"scope_type": "agent_runtime", "scope_ref": "999", "reason": "r", "mode": "pause"}, NOT_FOUND),
                  ({"scope_type": "agent_runtime", "scope_ref": "999", "reason": "r"}, INVALID)],
    "heartbeat_runtime": [({"agent_id": ""}, INVALID), ({"agent_id": "a", "lease_seconds": 0}, INVALID)],
}


def _fill(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str) and value in ids:
        return ids[value]
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


async def _seed(client) -> dict[str, str]:
    project = await call(client, "create_project", name="P")
    ticket = await call(client, "create_ticket", project_id=project["id"], title="T", plan_cost=5)
    a = await call(client, "create_task", ticket_id=ticket["id"], title="a", objective="o")
    b = await call(client, "create_task", ticket_id=ticket["id"], title="b", objective="o", depends_on=[a["id"]])
    sprint = await call(client, "create_sprint", project_id=project["id"], name="S", **WHEN)
    idea = await call(client, "create_idea", title="i")
    thread = await call(client, "create_thread", thread_type="intake", title="h")
    research = await call(client, "create_research_task", name="r", objective="o", output_type="digest")
    know = await call(client, "create_knowledge_object", **KNOW, body="b")
    cancelled = await call(client, "schedule", mode="delayed", task_id=a["id"], run_at="2030-01-01T00:00:00Z")
    await call(client, "cancel_schedule", schedule_id=cancelled["id"])
    return {"$R": research["id"], "$K": know["id"], "$C": cancelled["id"],
            "$P": project["id"], "$T": ticket["id"], "$A": a["id"], "$B": b["id"], "$S": sprint["id"],
            "$I": idea["id"], "$H": thread["id"]}


async def test_every_tool_has_bad_input_cases(odm_settings):
    async with connect_client(odm.SPEC, odm_settings, toolsets="all") as client:
        tools = {t.name for t in (await client.list_tools()).tools}
    assert tools - {"health"} == set(CASES)


@pytest.mark.parametrize("tool", sorted(CASES))
async def test_bad_input_gets_a_code_and_changes_nothing(odm_settings, tool):
    async with connect_client(odm.SPEC, odm_settings, toolsets="all") as client:
        ids = await _seed(client)
        before = await data_fingerprint(odm_settings.odm_dsn)
        for arguments, code in CASES[tool]:
            result = await client.call_tool(tool, _fill(arguments, ids))
            text = result.content[0].text if result.content else ""
            assert result.is_error, f"{tool}({arguments}) succeeded"
            assert text.startswith(f"[{code}] "), f"{tool}({list(arguments)}): expected [{code}], got {text[:300]}"
            assert "Traceback" not in text and "SELECT" not in text and "postgresql://" not in text
            assert await data_fingerprint(odm_settings.odm_dsn) == before, f"{tool}({list(arguments)}) changed data"
