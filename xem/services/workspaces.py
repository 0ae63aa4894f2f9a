"""Workspaces and the model catalog: create, promote, bind models and agents, set the scope; the gate that keeps a
workspace's tools closed unless it is operational with its three models bound and available.

Every use case checks everything before it writes, in one transaction: a refused change changes nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import asyncpg

from servers.kernel.errors import Conflict, InvalidArgument, NotFound
from xem.domain.scope import Scope
from xem.domain.workspaces import ROLES, Gate, ModelInfo, WorkspaceModelBindingValidator, check_kind_transition, gate_of
from xem.services._work import Work, read_only, transactional

__all__ = ["ModelRow", "WorkspaceRow", "bind_workspace", "create_workspace", "gates", "get_workspace", "list_models",
           "list_workspaces", "promote_workspace", "set_model", "set_scope", "workspace_gate"]


@dataclass(frozen=True)
class WorkspaceRow:
    name: str
    kind: str
    project_id: str | None
    scope: Scope
    models: dict[str, str]
    agents: tuple[str, ...]
    gate: Gate
    created_by: str
    created_at: Any
    promoted_at: Any


@dataclass(frozen=True)
class ModelRow:
    info: ModelInfo
    detail: str | None
    updated_at: Any


async def _catalog(w: Work) -> dict[str, ModelInfo]:
    return {r["id"]: _info(r) for r in await w.models.all()}


def _info(r: asyncpg.Record) -> ModelInfo:
    return ModelInfo(id=r["id"], provider=r["provider"], available=r["available"], reported_by=r["reported_by"])


async def gates(w: Work) -> dict[str, Gate]:
    """The gate of every workspace with a record (a workspace without one is closed: ``gate_of(name, None, ...)``)."""
    catalog, bindings = await _catalog(w), await w.workspaces.all_bindings()
    return {name: gate_of(name, kind, bindings.get(name, {}), catalog) for name, kind in (await w.workspaces.kinds()).items()}


async def workspace_gate(w: Work, name: str) -> tuple[Gate, asyncpg.Record | None]:
    record = await w.workspaces.get(name)
    if record is None:
        return gate_of(name, None, {}, {}), None
    bindings, models = await w.workspaces.bound_models(name)  # only the bound models decide the gate
    return gate_of(name, record["kind"], bindings, {r["id"]: _info(r) for r in models}), record


async def _row(w: Work, record: asyncpg.Record) -> WorkspaceRow:
    name = record["name"]
    bindings = await w.workspaces.bindings(name)
    return WorkspaceRow(name, record["kind"], record["project_id"], Scope.model_validate(json.loads(record["scope"])),
                        bindings, tuple(await w.workspaces.agents_of(name)),
                        gate_of(name, record["kind"], bindings, await _catalog(w)), record["created_by"],
                        record["created_at"], record["promoted_at"])


def _need(record: asyncpg.Record | None, name: str) -> asyncpg.Record:
    if record is None:
        raise NotFound(f"no workspace {name}; see `xeroctl workspaces list`, or create it with "
                       f"`xeroctl workspaces create {name} --kind chat|operational`")
    return record


@read_only
async def list_workspaces(w: Work, *, limit: int = 20, after: str | None = None, kind: str | None = None) -> list[WorkspaceRow]:
    return [await _row(w, r) for r in await w.workspaces.page(limit, after, kind)]


@read_only
async def get_workspace(w: Work, name: str) -> WorkspaceRow:
    """Raises NotFound."""
    return await _row(w, _need(await w.workspaces.get(name), name))


@transactional
async def create_workspace(w: Work, name: str, kind: str, *, project_id: str | None = None,
                           scope: Scope | None = None, by: str = "operator") -> WorkspaceRow:
    """Raises Conflict: a workspace of that name exists (its kind is kept; promote a chat one)."""
    existing = await w.workspaces.get(name)
    if existing is not None:
        raise Conflict(f"workspace {name} exists (kind {existing['kind']}); see `xeroctl workspaces list`"
                       + (f", or promote it with `xeroctl workspaces promote {name}`" if existing["kind"] == "chat" else ""))
    await w.workspaces.create(name, kind, project_id, (scope or Scope()).model_dump(mode="json"), by)
    return await _row(w, _need(await w.workspaces.get(name), name))


@transactional
async def promote_workspace(w: Work, name: str, *, kind: str = "operational", agents: tuple[str, ...] = ()) -> WorkspaceRow:
    """Chat -> operational (optionally binding agents). Raises NotFound, InvalidTransition (a demotion), Conflict."""
    record = _need(await w.workspaces.get(name, lock=True), name)
    check_kind_transition(name, record["kind"], kind)
    for agent in agents:
        if await w.agents.get(agent) is None:
            raise NotFound(f"no agent named {agent}; see `xeroctl agents list`")
    await w.workspaces.promote(name)
    await w.workspaces.bind_agents(name, list(agents))
    await w.audit.event("workspace_promoted", workspace=name, agents=list(agents))
    return await _row(w, _need(await w.workspaces.get(name), name))


@transactional
async def bind_workspace(w: Work, name: str, models: dict[str, str], *, agents: tuple[str, ...] = ()) -> WorkspaceRow:
    """Bind model roles (and agents). Raises NotFound (workspace, model or agent), InvalidArgument (the rules of
    ``WorkspaceModelBindingValidator``)."""
    _need(await w.workspaces.get(name, lock=True), name)
    if not models and not agents:
        raise InvalidArgument(f"nothing to bind; pass --planner, --executor, --verifier MODEL or --agent NAME "
                              f"(roles: {', '.join(ROLES)})")
    full = {**await w.workspaces.bindings(name), **models}
    WorkspaceModelBindingValidator.validate(name, full, await _catalog(w))
    for agent in agents:
        if await w.agents.get(agent) is None:
            raise NotFound(f"no agent named {agent}; see `xeroctl agents list`")
    if models:
        await w.workspaces.bind_models(name, models)
    await w.workspaces.bind_agents(name, list(agents))
    await w.audit.event("workspace_bound", workspace=name, models=models, agents=list(agents))
    return await _row(w, _need(await w.workspaces.get(name), name))


@transactional
async def set_scope(w: Work, name: str, scope: Scope) -> WorkspaceRow:
    """Replace the workspace's scope. Raises NotFound."""
    _need(await w.workspaces.get(name, lock=True), name)
    await w.workspaces.set_scope(name, scope.model_dump(mode="json"))
    await w.audit.event("workspace_scope", workspace=name, scope=scope.model_dump(mode="json"))
    return await _row(w, _need(await w.workspaces.get(name), name))


@read_only
async def list_models(w: Work, *, limit: int = 200, after: str | None = None) -> list[ModelRow]:
    return [ModelRow(_info(r), r["detail"], r["updated_at"]) for r in await w.models.page(limit, after)]


@transactional
async def set_model(w: Work, model_id: str, available: bool, *, provider: str | None = None, reported_by: str = "operator",
                    detail: str | None = None) -> ModelRow:
    """Create or update a catalog entry (an operator, or an inference host reporting); the workspaces bound to it
    open or close at commit."""
    r = await w.models.set(model_id, available, provider, reported_by, detail)
    return ModelRow(_info(r), r["detail"], r["updated_at"])
