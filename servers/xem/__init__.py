"""xem-mcp: the XEM bridge; tools declared by enrolled execution agents become MCP tools."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from servers.app import Runtime, ServerSpec, ToolRegistry
from servers.app.odm import odm_gateway_args
from servers.runtime.settings import load
from servers.xem import agents, catalog, invocations, operators
from xem.bootstrap import Bridge, open_bridge
from xem.settings import XemSettings

__all__ = ["SPEC", "TOOLSETS", "tools"]

TOOLSETS = {
    "default": "invoke tools on enrolled execution agents (one MCP tool per agent tool, plus invoke)",
    "compact": "no per-agent tools: list_exec_tools, describe_exec_tool and invoke only (small contexts)",
    "management": "operators: decide_approval, resolve_ambiguous, approval_policy",
}
tools = ToolRegistry(TOOLSETS, [agents.tools, catalog.tools, invocations.tools, operators.tools],
                     modifiers=[catalog.COMPACT])


@asynccontextmanager
async def xem_services(runtime: Runtime) -> AsyncIterator[Bridge]:
    async with open_bridge(runtime.pool, load(XemSettings), **odm_gateway_args(runtime)) as bridge:
        yield bridge


SPEC = ServerSpec(
    program="xem-mcp",
    name="xiopro-xem",
    title="XIOPro XEM bridge",
    database="bus",
    schema="xem",
    instructions=(
        "The XIOPro XEM bridge: tools that enrolled execution agents declare become MCP tools named "
        "<workspace>__<tool> (or, in the compact form, list_exec_tools + describe_exec_tool + invoke); calls are "
        "approved by policy and run on the agent. Pass idempotency_key to retry safely. Errors start with [code]."
    ),
    tools=tools,
    default_port=8703,
    services=xem_services,
    tool_source=catalog.tool_source,
)
