"""odm-mcp's surface: exactly the default tools of the DESIGN built so far, the rest in 'planning', 'claims' and
'accounting', compact and honest."""

from __future__ import annotations

import json

from servers import odm
from tests.conftest import connect_client

DEFAULT = {"create_project", "create_ticket", "create_task", "update_task", "transition", "next_task",
           "evolve_ticket", "search", "escalate", "decide", "record_activity", "execution_report"}
ACCOUNTING = {"record_activities", "complete_activity", "evaluate_activity", "list_activities", "set_budget"}
KNOWLEDGE = {"create_research_task", "record_research_output", "list_research_tasks", "create_knowledge_object",
             "list_knowledge_objects"}
EXECUTION = {"schedule", "due_schedules", "fire_event", "list_schedules", "cancel_schedule", "set_time_target",
             "create_agent_template", "register_surface", "spawn_runtime", "transition_runtime", "open_session",
             "transition_session", "intervene"}


async def test_the_default_toolset_is_the_designs_twelve_tools_within_16_kb(odm_settings):
    async with connect_client(odm.SPEC, odm_settings) as client:
        tools = (await client.list_tools()).tools
    assert {t.name for t in tools} == DEFAULT | {"health"}
    # the bytes on the wire (the SDK writes compact JSON); 16 KB is the hard limit (DESIGN): a new default tool must make room
    payload = json.dumps([t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in tools], separators=(",", ":"))
    assert len(payload.encode()) <= 16 * 1024, len(payload.encode())
    for tool in tools:
        assert not _auto_titles(tool.input_schema) and not _auto_titles(tool.output_schema), tool.name
        assert tool.output_schema is not None and tool.output_schema["type"] == "object"


def _auto_titles(node) -> bool:
    """Whether a schema still carries pydantic's per-property "title" strings (compaction drops them)."""
    if isinstance(node, dict):
        return any((k == "title" and isinstance(v, str)) or _auto_titles(v) for k, v in node.items())
    return isinstance(node, list) and any(_auto_titles(v) for v in node)


async def test_planning_tools_come_only_with_the_planning_toolset_and_read_tools_say_so(odm_settings):
    async with connect_client(odm.SPEC, odm_settings, toolsets="planning") as client:
        planning = {t.name for t in (await client.list_tools()).tools}
    async with connect_client(odm.SPEC, odm_settings, toolsets="claims") as client:
        claims = {t.name for t in (await client.list_tools()).tools}
    async with connect_client(odm.SPEC, odm_settings, toolsets="accounting") as client:
        accounting = {t.name for t in (await client.list_tools()).tools}
    async with connect_client(odm.SPEC, odm_settings, toolsets="knowledge,execution") as client:
        knowledge_execution = {t.name for t in (await client.list_tools()).tools}
    async with connect_client(odm.SPEC, odm_settings, toolsets="all") as client:
        tools = (await client.list_tools()).tools
    assert knowledge_execution - DEFAULT - {"health"} == KNOWLEDGE | EXECUTION
    assert len(planning - DEFAULT - {"health"}) == 26 and "assign_task" in planning
    assert claims - DEFAULT - {"health"} == {"renew_claims", "release_claims", "heartbeat_runtime"}
    assert accounting - DEFAULT - {"health"} == ACCOUNTING
    assert len(tools) == len(DEFAULT) + 1 + 26 + 3 + len(ACCOUNTING) + len(KNOWLEDGE) + len(EXECUTION)
    for tool in tools:
        reads = tool.name.startswith(("list_", "get_")) or tool.name in ("search", "health", "execution_report")
        assert tool.annotations.read_only_hint is reads, tool.name
        assert tool.annotations.open_world_hint is False
        assert tool.description and len(tool.description) < 400 and "\n    " not in tool.description
