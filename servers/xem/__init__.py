"""xem-mcp: the XEM bridge; tools declared by enrolled execution agents become MCP tools."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from servers.app import Runtime, ServerSpec, SuiteServer, ToolRegistry
from servers.app.odm import odm_gateway_args
from servers.runtime.settings import load
from servers.xem import agents, catalog, invocations, learnings, operators, prompts, templates, workspaces
from servers.xem.resources import register as register_resources
from servers.xem.template_files import load_library
from xem.bootstrap import Bridge, open_bridge
from xem.settings import XemSettings

__all__ = ["SPEC", "TOOLSETS", "tools"]

TOOLSETS = {
    "default": "invoke tools on enrolled execution agents (one MCP tool per agent tool, plus invoke)",
    "compact": "no per-agent tools: list_exec_tools, describe_exec_tool and invoke only (small contexts)",
    "subplans": "request_subplan and close_subplan: bounded sub-loops (tool scope, iteration cap) under a chat template",
    "management": "operators: decide_approval, resolve_ambiguous, approval_policy, workspace, model, create_template, "
                  "list_templates",
    "inference": "inference hosts: report_model (whether a model is served now)",
}
tools = ToolRegistry(TOOLSETS, [agents.tools, catalog.tools, invocations.tools, learnings.tools, operators.tools,
                              templates.tools, workspaces.tools],
                     modifiers=[catalog.COMPACT])


def register(server: SuiteServer) -> None:
    """xem-mcp's workspace resources and its chat-template prompts (with their resources)."""
    register_resources(server)
    prompts.register(server)


@asynccontextmanager
async def xem_services(runtime: Runtime) -> AsyncIterator[Bridge]:
    async with open_bridge(runtime.pool, load(XemSettings), templates=load_library(),
                           **odm_gateway_args(runtime)) as bridge:
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
        "approved by policy and run on the agent. Pass idempotency_key to retry safely. Chat templates are prompts "
        "(argument workspace); pass template= on calls to work under one. Errors start with [code]."
    ),
    tools=tools,
    default_port=8703,
    register=register,
    services=xem_services,
    tool_source=catalog.tool_source,
    dynamic_prompts=True,
)
