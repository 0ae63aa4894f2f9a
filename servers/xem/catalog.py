"""The exec tools online agents serve, as MCP tools: one per (workspace, tool) (``ExecToolSource``, dynamic), or
in the compact form ``list_exec_tools`` + ``describe_exec_tool`` (+ ``invoke``), which are always offered."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context
from mcp_types import CallToolResult, ToolAnnotations
from mcp_types import Tool as MCPTool
from pydantic import BaseModel, Field, StringConstraints

from servers.app import ToolGroup
from servers.app.dynamic import DynamicTool, ListChanged
from servers.kernel.cursors import decode_cursor, encode_cursor
from servers.kernel.errors import Forbidden, NotFound
from servers.xem.calls import bridge_of, run_call, subplan_id, tool_arguments
from xem import services
from xem.bootstrap import Bridge
from xem.domain.catalog import Catalog, ExecTool
from xem.domain.learnings import FORKING_RISKS
from xem.domain.manifest import NAME_PATTERN

__all__ = ["COMPACT", "ExecToolSource", "describe_exec_tool", "list_exec_tools", "tools"]

log = logging.getLogger("xiopro.xem.catalog")
tools = ToolGroup()
COMPACT = "compact"
Name = Annotated[str, StringConstraints(pattern=NAME_PATTERN)]

RESERVED: dict[str, dict[str, Any]] = {
    "idempotency_key": {"type": "string", "minLength": 1, "maxLength": 255,
                        "description": "retry-safe key: the same key and arguments return the first call's invocation"},
    "agent": {"type": "string", "pattern": NAME_PATTERN, "description": "run on this agent (default: an online one)"},
    "task_id": {"type": "string", "maxLength": 64, "description": "ODM task this call works for"},
    "template": {"type": "string", "maxLength": 55, "description": "chat template (name or name@N) to run under"},
    "subplan": {"type": "string", "maxLength": 64, "description": "sub-plan id to count against"},
}
# offered on destructive and irreversible tools only: they leave a fork point to roll back to
FORKING: dict[str, dict[str, Any]] = {
    "branch_ref": {"type": "string", "maxLength": 200,
                   "description": "your conversation branch/session, kept on the fork point left before this call"},
}


def annotations_of(spec: ExecTool) -> ToolAnnotations:
    return ToolAnnotations(title=f"{spec.tool} ({spec.workspace})", read_only_hint=spec.risk == "read",
                           destructive_hint=spec.risk in ("destructive", "irreversible"), idempotent_hint=False,
                           open_world_hint=True)


def _schema(spec: ExecTool) -> tuple[dict[str, Any], frozenset[str]]:
    schema = dict(spec.input_schema)
    props = dict(schema.get("properties", {}))
    offered = {**RESERVED, **(FORKING if spec.risk in FORKING_RISKS else {})}
    reserved = frozenset(k for k in offered if k not in props)
    schema["properties"] = {**props, **{k: offered[k] for k in sorted(reserved)}}
    schema.setdefault("type", "object")
    return schema, reserved


def _dynamic(spec: ExecTool) -> DynamicTool:
    schema, reserved = _schema(spec)
    gated = " Needs an approval by default." if spec.risk in ("destructive", "irreversible") else ""
    tool = MCPTool(name=spec.name, title=f"{spec.tool} ({spec.workspace})",
                   description=f"{spec.description.strip()}\n\nRisk: {spec.risk}.{gated} Runs on an XEM agent; answers the "
                   "invocation (state, result). Errors: [invalid_argument], [approval_required], [unavailable].",
                   input_schema=schema, annotations=annotations_of(spec))

    async def call(arguments: dict[str, Any], ctx: Context) -> CallToolResult:
        own, extra = tool_arguments(arguments, reserved)
        return await run_call(ctx, services.CallRequest(spec.workspace, spec.tool, own, extra.get("idempotency_key"),
                                                        extra.get("agent"), extra.get("task_id"),
                                                        branch_ref=extra.get("branch_ref"), template=extra.get("template"),
                                                        subplan=subplan_id(extra.get("subplan"))))

    return DynamicTool(tool, "execution", call)


class ExecToolSource:
    """The per-agent tools of one server: rebuilt from the bridge's catalog, clients told when the list changed."""

    def __init__(self, bridge: Bridge, notifier: ListChanged, *, compact: bool) -> None:
        self._bridge = bridge
        self._notifier = notifier
        self._compact = compact
        self._tools: dict[str, DynamicTool] = self._build(bridge.catalog)
        bridge.watchers.add(self)

    def _build(self, catalog: Catalog) -> dict[str, DynamicTool]:
        if self._compact or len(catalog.tools) > self._bridge.settings.compact_above:
            return {}
        return {name: _dynamic(spec) for name, spec in sorted(catalog.tools.items())}

    def current(self) -> Mapping[str, DynamicTool]:
        return self._tools

    async def on_catalog(self, catalog: Catalog) -> None:
        fresh = self._build(catalog)
        if [d.tool for d in fresh.values()] != [d.tool for d in self._tools.values()]:
            self._tools = fresh
            await self._notifier.notify()


def tool_source(runtime: Any, toolsets: frozenset[str], notifier: ListChanged) -> ExecToolSource:
    """``--toolsets compact`` forces the compact form (``all`` never selects it: every tool, per-agent ones included)."""
    return ExecToolSource(runtime.services, notifier, compact=COMPACT in toolsets)


class ExecToolLine(BaseModel):
    name: str = Field(description="<workspace>__<tool>")
    workspace: str
    tool: str
    risk: Literal["read", "write", "destructive", "irreversible"]
    summary: str = Field(description="first line of the description")


class ExecToolList(BaseModel):
    items: list[ExecToolLine]
    next_cursor: str | None = Field(description="pass as cursor for the next page; null at the end")


class ExecToolDetail(ExecToolLine):
    description: str
    input_schema: dict[str, Any] = Field(description="JSON Schema of invoke's arguments for this tool")
    agents: list[str] = Field(description="online agents serving it")
    timeout_s: float


@tools.tool(title="List exec tools", read_only=True, destructive=False, idempotent=True, open_world=False)
async def list_exec_tools(
    ctx: Context,
    workspace: Name | None = None,
    query: Annotated[str, StringConstraints(max_length=200)] | None = None,
    limit: Annotated[int, Field(ge=1, le=200)] = 20,
    cursor: Annotated[str, StringConstraints(max_length=200)] | None = None,
) -> ExecToolList:
    """List the tools online XEM agents serve (name, risk, one line each); query matches names and descriptions.

    Then describe_exec_tool for the schema, and invoke to run one. Errors: [invalid_argument].
    """
    catalog = bridge_of(ctx).catalog
    key = decode_cursor(cursor, str)
    after = key[0] if key else None
    words = (query or "").lower().split()
    found = [t for name, t in sorted(catalog.tools.items())
             if (workspace is None or t.workspace == workspace) and (after is None or name > after)
             and all(w in f"{name} {t.description}".lower() for w in words)]
    page = found[:limit]
    items = [ExecToolLine(name=t.name, workspace=t.workspace, tool=t.tool, risk=t.risk, summary=t.summary) for t in page]
    return ExecToolList(items=items, next_cursor=encode_cursor(page[-1].name) if len(found) > limit else None)


@tools.tool(title="Describe an exec tool", read_only=True, destructive=False, idempotent=True, open_world=False)
async def describe_exec_tool(ctx: Context, workspace: Name, tool: Name) -> ExecToolDetail:
    """The full description and argument schema of one exec tool, and the agents serving it.

    Use before invoke. Errors: [not_found] (see list_exec_tools), [forbidden] a chat or closed workspace (why).
    """
    bridge = bridge_of(ctx)
    spec = bridge.catalog.find(workspace, tool)
    if spec is None:
        try:
            gate = (await services.get_workspace(bridge, workspace)).gate
        except NotFound:
            gate = None
        if gate is not None and not gate.open:
            raise Forbidden(gate.reason)
        raise NotFound(f"no online agent serves tool {tool!r} in workspace {workspace!r}; call list_exec_tools")
    return ExecToolDetail(name=spec.name, workspace=spec.workspace, tool=spec.tool, risk=spec.risk, summary=spec.summary,
                          description=spec.description, input_schema=spec.input_schema, agents=list(spec.agents),
                          timeout_s=spec.timeout_s)
