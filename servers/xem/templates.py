"""xem-mcp tools of chat templates (``management``: create_template, list_templates) and sub-plans (request_subplan,
close_subplan)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context
from pydantic import BaseModel, Field, StringConstraints

from servers.app import ToolGroup
from servers.kernel.cursors import decode_cursor, encode_cursor
from servers.kernel.errors import InvalidArgument
from servers.xem.calls import bridge_of
from xem import services
from xem.domain.manifest import NAME_PATTERN

__all__ = ["close_subplan", "create_template", "list_templates", "request_subplan", "tools"]

tools = ToolGroup()
MANAGEMENT = "management"
SUBPLANS = "subplans"
Name = Annotated[str, StringConstraints(pattern=NAME_PATTERN)]
TemplateName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,47}$")]
TemplateRef = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,47}(@[1-9][0-9]{0,5})?$")]
ToolPattern = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_*?\[\]-]{1,64}$")]
Key = Annotated[str, StringConstraints(min_length=1, max_length=255)]


class TemplateOut(BaseModel):
    name: str
    scope: Literal["platform", "project", "workspace"]
    owner: str = Field(description="project id or workspace name ('' for platform)")
    version: int
    ref: str = Field(description="name@version: pass as template= to pin this version")


class TemplateLine(TemplateOut):
    versions: int
    description: str


class TemplateList(BaseModel):
    items: list[TemplateLine]
    next_cursor: str | None = Field(description="pass as cursor for the next page; null at the end")


class Subplan(BaseModel):
    id: str = Field(description="pass as subplan= on invoke and the exec tools")
    workspace: str
    template: str | None = Field(description="name@version (scope) it was drawn from")
    tool_scope: list[str]
    max_iterations: int
    used: int
    remaining: int
    expires_at: datetime
    closed_at: datetime | None
    close_reason: Literal["closed", "expired"] | None
    executions: int = Field(description="invocations run under it")


def _subplan(view: services.SubplanView) -> Subplan:
    return Subplan(**view.__dict__, remaining=0 if view.closed_at else view.max_iterations - view.used)


@tools.tool(MANAGEMENT, title="Create a chat template version", read_only=False, destructive=False, idempotent=True,
            open_world=False, scope="management")
async def create_template(
    ctx: Context,
    scope: Literal["project", "workspace"],
    owner: Name,
    document: dict[str, Any],
    idempotency_key: Key | None = None,
) -> TemplateOut:
    """Store a chat template (JSON matching xem://templates/schema) as the next version for a project or workspace.

    Old versions stay; prompts/list follows. Errors: [invalid_argument] (names the failing field), [idempotency_mismatch].
    """
    t = await services.create_template(bridge_of(ctx), scope, owner, document, idempotency_key=idempotency_key, by="mcp")
    return TemplateOut(name=t.name, scope=t.scope, owner=t.owner, version=t.version, ref=f"{t.name}@{t.version}")


@tools.tool(MANAGEMENT, title="List chat templates", read_only=True, destructive=False, idempotent=True, open_world=False)
async def list_templates(
    ctx: Context,
    name: TemplateName | None = None,
    scope: Literal["platform", "project", "workspace"] | None = None,
    owner: Name | None = None,
    limit: Annotated[int, Field(ge=1, le=200)] = 20,
    cursor: Annotated[str, StringConstraints(max_length=300)] | None = None,
) -> TemplateList:
    """The latest version of each chat template (platform, project, workspace); the document is xem://templates/{name}.

    Errors: [invalid_argument].
    """
    key = decode_cursor(cursor, str, str, str)
    rows = await services.list_templates(bridge_of(ctx), name=name, scope=scope, owner=owner, limit=limit + 1,
                                         after=(key[0], key[1], key[2]) if key else None)
    items = [TemplateLine(name=r.name, scope=r.scope, owner=r.owner, version=r.version,
                          ref=f"{r.name}@{r.version}", versions=r.versions, description=r.description) for r in rows[:limit]]
    last = items[-1] if items else None
    return TemplateList(items=items, next_cursor=encode_cursor(last.name, last.scope, last.owner)
                        if last is not None and len(rows) > limit else None)


@tools.tool(SUBPLANS, title="Open a sub-plan", read_only=False, destructive=False, idempotent=True, open_world=False,
            scope="execution")
async def request_subplan(
    ctx: Context,
    workspace: Name,
    template: TemplateRef | None = None,
    tools: Annotated[list[ToolPattern], Field(min_length=1, max_length=100)] | None = None,
    max_iterations: Annotated[int, Field(ge=1, le=1000)] | None = None,
    ttl_s: Annotated[int, Field(ge=1, le=86_400)] = 3600,
    idempotency_key: Key | None = None,
) -> Subplan:
    """Open a bounded sub-loop: a handle whose calls (subplan=id) may use only its tools, at most max_iterations times.

    Scope and cap come from the template's sub_agentic_* (narrow them here). Errors: [forbidden], [not_found], [invalid_argument].
    """
    view = await services.request_subplan(bridge_of(ctx), workspace, template=template, tools=tools,
                                          max_iterations=max_iterations, ttl_s=ttl_s, idempotency_key=idempotency_key,
                                          by="mcp")
    return _subplan(view)


@tools.tool(SUBPLANS, title="Close a sub-plan", read_only=False, destructive=False, idempotent=False, open_world=False,
            scope="execution")
async def close_subplan(
    ctx: Context,
    id: Annotated[str, StringConstraints(min_length=1, max_length=64)],
    note: Annotated[str, StringConstraints(max_length=2000)] | None = None,
) -> Subplan:
    """Close a sub-plan when its loop is done; later calls under it are refused. The close is recorded.

    Errors: [not_found], [conflict] (already closed or expired).
    """
    try:
        subplan_id = uuid.UUID(id)
    except ValueError:
        raise InvalidArgument(f"id {id[:64]!r} is not a sub-plan id (the id request_subplan answered, --toolsets subplans)") from None
    return _subplan(await services.close_subplan(bridge_of(ctx), subplan_id, note=note))
