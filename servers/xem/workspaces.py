"""xem-mcp tools for workspaces and the model catalog: ``workspace`` and ``model`` (``management`` toolset), and
``report_model`` (``inference`` toolset: an inference host reports what it serves)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context
from pydantic import BaseModel, Field, StringConstraints

from servers.app import ToolGroup
from servers.kernel.cursors import decode_cursor, encode_cursor
from servers.kernel.errors import InvalidArgument
from servers.xem.calls import bridge_of
from xem import services
from xem.domain.manifest import NAME_PATTERN
from xem.domain.scope import Scope
from xem.domain.workspaces import MODEL_PATTERN, ModelInfo

__all__ = ["ModelList", "WorkspaceOut", "model", "model_list", "report_model", "tools", "workspace", "workspace_out"]

tools = ToolGroup()
Name = Annotated[str, StringConstraints(pattern=NAME_PATTERN)]
ModelId = Annotated[str, StringConstraints(pattern=MODEL_PATTERN)]
Provider = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
ProjectId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
Prefix = Annotated[str, StringConstraints(min_length=1, max_length=1024)]


class WorkspaceOut(BaseModel):
    name: str
    kind: Literal["chat", "operational"]
    project_id: str | None
    open: bool = Field(description="true: its tools are listed and run")
    closed_reason: str | None = Field(description="why it is closed, with the command that opens it")
    models: dict[str, str] = Field(description="role (planner, executor, verifier) -> model id")
    agents: list[str]
    scope: Scope


def workspace_out(row: services.WorkspaceRow) -> WorkspaceOut:
    return WorkspaceOut(name=row.name, kind=row.kind, project_id=row.project_id, open=row.gate.open,
                        closed_reason=None if row.gate.open else row.gate.reason, models=row.models,
                        agents=list(row.agents), scope=row.scope)


@tools.tool("management", title="Workspace", read_only=False, destructive=False, idempotent=False, open_world=False,
            scope="management")
async def workspace(
    ctx: Context,
    action: Literal["get", "create", "promote", "bind", "scope"],
    name: Name,
    kind: Literal["chat", "operational"] | None = None,
    project_id: ProjectId | None = None,
    planner: ModelId | None = None,
    executor: ModelId | None = None,
    verifier: ModelId | None = None,
    agents: Annotated[list[Name], Field(max_length=20)] | None = None,
    path_prefixes: Annotated[list[Prefix], Field(max_length=50)] | None = None,
    patterns: Annotated[dict[str, Annotated[str, StringConstraints(max_length=500)]], Field(max_length=100)] | None = None,
) -> WorkspaceOut:
    """Get, create (kind chat|operational), promote (chat -> operational only), bind models/agents, or set the scope
    (path_prefixes, patterns; replaces it) of a workspace. Its tools run only when operational with three available models.
    Errors: [not_found], [conflict], [invalid_transition] (a demotion), [invalid_argument]."""
    bridge = bridge_of(ctx)
    if action == "get":
        return workspace_out(await services.get_workspace(bridge, name))
    if action == "create":
        row = await services.create_workspace(bridge, name, kind or "chat", project_id=project_id,
                                              scope=Scope(path_prefixes=tuple(path_prefixes or ()), patterns=patterns or {}),
                                              by="mcp")
    elif action == "promote":
        row = await services.promote_workspace(bridge, name, kind=kind or "operational", agents=tuple(agents or ()))
    elif action == "bind":
        chosen = {k: v for k, v in {"planner": planner, "executor": executor, "verifier": verifier}.items() if v is not None}
        row = await services.bind_workspace(bridge, name, chosen, agents=tuple(agents or ()))
    else:
        if path_prefixes is None and patterns is None:
            raise InvalidArgument("action scope needs path_prefixes and/or patterns (pass [] / {} to clear them)")
        row = await services.set_scope(bridge, name, Scope(path_prefixes=tuple(path_prefixes or ()), patterns=patterns or {}))
    return workspace_out(row)


class ModelLine(ModelInfo):
    updated_at: str


class ModelList(BaseModel):
    items: list[ModelLine]
    next_cursor: str | None = Field(description="pass as cursor for the next page; null at the end")


def model_list(rows: list[services.ModelRow], limit: int) -> ModelList:
    page = rows[:limit]
    return ModelList(items=[ModelLine(**r.info.model_dump(), updated_at=r.updated_at.isoformat()) for r in page],
                     next_cursor=encode_cursor(page[-1].info.id) if len(rows) > limit else None)


@tools.tool("management", title="Model catalog", read_only=False, destructive=False, idempotent=True, open_world=False,
            scope="management")
async def model(
    ctx: Context,
    action: Literal["list", "set"] = "list",
    id: ModelId | None = None,
    available: bool | None = None,
    provider: Provider | None = None,
    limit: Annotated[int, Field(ge=1, le=200)] = 20,
    cursor: Annotated[str, StringConstraints(max_length=200)] | None = None,
) -> ModelList:
    """List the model catalog, or set one model available/unavailable (workspaces bound to it open or close at once).
    Errors: [invalid_argument]."""
    bridge = bridge_of(ctx)
    key = decode_cursor(cursor, str)  # a cursor this server did not hand out is refused whatever the action
    if action == "set":
        if id is None or available is None:
            raise InvalidArgument("action set needs id and available (true|false)")
        row = await services.set_model(bridge, id, available, provider=provider, reported_by="mcp")
        return model_list([row], 1)
    return model_list(await services.list_models(bridge, limit=limit + 1, after=key[0] if key else None), limit)


@tools.tool("inference", title="Report a model", read_only=False, destructive=False, idempotent=True, open_world=False,
            scope="inference")
async def report_model(ctx: Context, id: ModelId, available: bool, provider: Provider | None = None,
                       host: Name | None = None,
                       detail: Annotated[str, StringConstraints(max_length=500)] | None = None) -> ModelList:
    """An inference host (e.g. a XIM agent) reports whether it serves a model now; recorded in the catalog with
    reported_by=host. Call on start, on change and periodically. Errors: [invalid_argument]."""
    row = await services.set_model(bridge_of(ctx), id, available, provider=provider,
                                   reported_by=f"host:{host}" if host else "inference", detail=detail)
    return model_list([row], 1)


def resource_payload(row: services.WorkspaceRow) -> dict[str, Any]:
    return workspace_out(row).model_dump(mode="json")
