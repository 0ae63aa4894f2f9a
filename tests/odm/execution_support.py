"""Shared steps of the execution tests: a template, a surface, a runtime with a session, a claimed task."""

from __future__ import annotations

from typing import Any

from mcp import Client

from tests.support.odm import call

SHA = "ab" * 32


async def template(client: Client, agent_id: str = "002", **extra: Any) -> dict[str, Any]:
    return await call(client, "create_agent_template", agent_id=agent_id, name=f"Template {agent_id}",
                      roles=extra.pop("roles", ["worker"]), **extra)


async def surface(client: Client, name: str = "cc-1", **extra: Any) -> dict[str, Any]:
    return await call(client, "register_surface", name=name, type=extra.pop("type", "claude_code"),
                      provider="anthropic", auth_mode="subscription", **extra)


async def working_runtime(client: Client, agent_id: str = "101", **surface_flags: Any) -> tuple[dict, dict]:
    """Template 002, runtime ``agent_id`` on a resumable surface, and its open session."""
    await template(client, "002", default_provider="anthropic", default_model="claude-sonnet")
    where = await surface(client, supports_resume=True, supports_rc=True, **surface_flags)
    runtime = await call(client, "spawn_runtime", agent_id=agent_id, template="002")
    session = await call(client, "open_session", runtime_id=agent_id, execution_surface_id=where["id"])
    return runtime, session


async def claimed_task(client: Client, agent_id: str = "101") -> dict[str, Any]:
    project = await call(client, "create_project", name="P")
    ticket = await call(client, "create_ticket", project_id=project["id"], title="T")
    await call(client, "create_task", ticket_id=ticket["id"], title="a", objective="o")
    return await call(client, "next_task", agent_id=agent_id)
