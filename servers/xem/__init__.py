"""xem-mcp: the XEM bridge; tools declared by enrolled execution agents become MCP tools."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from servers.app import Runtime, ServerSpec, ToolRegistry
from servers.xem import agents
from xem.bootstrap import open_services
from xem.services import XemServices

__all__ = ["SPEC", "tools"]

tools = ToolRegistry({"default": "invoke tools on enrolled execution agents"}, [agents.tools])


@asynccontextmanager
async def xem_services(runtime: Runtime) -> AsyncIterator[XemServices]:
    async with open_services(runtime.pool) as services:
        yield services


SPEC = ServerSpec(
    program="xem-mcp",
    name="xiopro-xem",
    title="XIOPro XEM bridge",
    database="bus",
    schema="xem",
    instructions=(
        "The XIOPro XEM bridge: tools that enrolled execution agents declare become MCP tools; "
        "calls are approved by policy and run on the agent. Errors start with [code]."
    ),
    tools=tools,
    default_port=8703,
    services=xem_services,
)
