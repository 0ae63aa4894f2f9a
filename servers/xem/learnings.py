"""xem-mcp tool of what earlier runs taught: learnings (known-good parameter sets of an exec tool)."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context
from pydantic import Field, StringConstraints

from servers.app import ToolGroup
from servers.xem.calls import bridge_of
from xem import services
from xem.domain.manifest import NAME_PATTERN
from xem.domain.views import Learnings

__all__ = ["learnings", "tools"]

tools = ToolGroup()
Name = Annotated[str, StringConstraints(pattern=NAME_PATTERN)]


@tools.tool(title="Known-good parameters", read_only=True, destructive=False, idempotent=True, open_world=False)
async def learnings(ctx: Context, workspace: Name, tool: Name,
                    limit: Annotated[int, Field(ge=1, le=200)] = 10) -> Learnings:
    """Parameter sets that ran successfully for workspace__tool, most used first (secrets redacted), for planning a call.

    A set whose last run failed comes last with last_failed true. An unknown tool has none. Errors: [invalid_argument].
    """
    return await services.learnings(bridge_of(ctx), workspace, tool, limit)
