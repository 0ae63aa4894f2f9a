"""xem-mcp resources: ``xem://workspaces`` (every workspace, open or closed) and ``xem://workspaces/{name}``."""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import Context

from servers.app import SuiteServer
from servers.app.resources import resource_errors
from servers.xem.calls import bridge_of
from servers.xem.workspaces import resource_payload
from xem import services

__all__ = ["register"]



def register(server: SuiteServer) -> None:
    @server.resource("xem://workspaces", name="workspaces", title="Workspaces", mime_type="application/json",
                     description="Every workspace: kind, project, open or closed (and why), model bindings, agents, scope.")
    @resource_errors
    async def workspace_list() -> dict[str, Any]:
        assert server.runtime is not None, "build_server sets the runtime"
        bridge = server.runtime.services
        everyone: list[dict[str, Any]] = []
        after = None
        while True:
            page = await services.list_workspaces(bridge, limit=200, after=after)
            everyone.extend(resource_payload(r) for r in page)
            if len(page) < 200:
                break
            after = page[-1].name
        return {"workspaces": everyone}

    @server.resource("xem://workspaces/{name}", name="workspace", title="One workspace", mime_type="application/json",
                     description="One workspace: kind, project, open or closed (and why), model bindings, agents, scope.")
    @resource_errors
    async def workspace_detail(ctx: Context, name: str) -> dict[str, Any]:
        return resource_payload(await services.get_workspace(bridge_of(ctx), name))
