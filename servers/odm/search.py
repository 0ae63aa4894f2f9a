"""odm-mcp Full-text search of the work graph (default)."""

from __future__ import annotations

from typing import Annotated, Literal

from mcp.server.mcpserver import Context
from pydantic import Field

from odm.domain.types import (
    Limit,
)
from odm.domain.views import (
    Page,
    SearchHit,
)
from odm.services import reads
from servers.app import ToolGroup
from servers.odm._context import services

__all__ = ["search"]

tools = ToolGroup()


Searchable = Literal["project", "ticket", "task", "idea", "discussion_thread", "research_task", "knowledge_object"]


@tools.tool(title="Search work graph", read_only=True, destructive=False, idempotent=True, open_world=False)
async def search(ctx: Context, query: Annotated[str, Field(min_length=1, max_length=500)],
                 kinds: list[Searchable] | None = None, limit: Limit = 20, cursor: str | None = None) -> Page[SearchHit]:
    """Full-text search (web-search syntax) of titles, descriptions, objectives, research and knowledge; then
    odm://tasks/{id}, odm://research/{id}, odm://knowledge/{id}."""
    return await reads.search(services(ctx), query, list(kinds) if kinds else None, limit, cursor)
