"""odm-mcp resources of who works and where: templates, runtimes (health computed on read) and sessions."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from mcp.server import MCPServer
from mcp.server.mcpserver import Context

from odm.services import runtimes, sessions, templates
from servers.odm._context import services

__all__ = ["register"]

JSON = "application/json"
Answer = Callable[[str, Awaitable[Any]], Awaitable[str]]


def register(server: MCPServer, answer: Answer) -> None:
    """Serve the execution resources on ``server``; ``answer`` turns a result or failure into the resource's text."""

    @server.resource("odm://templates{?cursor}", name="templates", title="Agent templates", mime_type=JSON,
                     description="The latest version of each agent template (compact, 200 a page), by agent id.")
    async def template_list(ctx: Context, cursor: str | None = None) -> str:
        return await answer("odm://templates", templates.list_templates(services(ctx), cursor=cursor or None, limit=200))

    @server.resource("odm://templates/{agent_id}", name="template", title="Agent template", mime_type=JSON,
                     description="The latest version of an agent's template in full: roles, spawn policy, cost "
                                 "profile, default LLM/auth binding.")
    async def template(agent_id: str, ctx: Context) -> str:
        return await answer(f"odm://templates/{agent_id}", templates.get_template(services(ctx), agent_id))

    @server.resource("odm://runtimes{?health,cursor}", name="runtimes", title="Agent runtimes", mime_type=JSON,
                     description="Agent runtimes by agent id (compact, 200 a page); health: healthy, degraded, "
                                 "blocked, failed or recovering, as read now (silence degrades, then fails).")
    async def runtime_list(ctx: Context, health: str | None = None, cursor: str | None = None) -> str:
        return await answer("odm://runtimes", runtimes.list_runtimes(services(ctx), health=health or None,
                                                                    cursor=cursor or None, limit=200))

    @server.resource("odm://runtimes/{id}", name="runtime", title="Agent runtime", mime_type=JSON,
                     description="A runtime: binding, links, health, cost and time of its activities, children, "
                                 "sessions, claims and interventions in effect.")
    async def runtime(id: str, ctx: Context) -> str:
        return await answer(f"odm://runtimes/{id}", runtimes.get_runtime(services(ctx), id))

    @server.resource("odm://sessions/{id}", name="session", title="Session", mime_type=JSON,
                     description="A session: state, resume/RC-attach flags, transcript reference, cost and time of its "
                                 "activities, interventions in effect.")
    async def session(id: str, ctx: Context) -> str:
        return await answer(f"odm://sessions/{id}", sessions.get_session(services(ctx), id))
