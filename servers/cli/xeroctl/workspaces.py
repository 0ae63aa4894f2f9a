"""``xeroctl workspaces`` and ``xeroctl models``: workspaces (chat or operational), their model bindings, agents and
scope, and the model catalog whose availability opens and closes them."""

from __future__ import annotations

import json
import re

import click

from servers.cli.xeroctl.agents import _run
from servers.kernel.errors import StartupError
from xem import services
from xem.domain.manifest import NAME_PATTERN
from xem.domain.scope import Scope
from xem.domain.workspaces import MODEL_PATTERN

__all__ = ["models", "workspaces"]


def _name(value: str, what: str = "workspace", pattern: str = NAME_PATTERN) -> str:
    if not re.match(pattern, value):
        raise StartupError("invalid_argument", f"{value!r} is not a {what} name (letters, digits, _ and -)", exit_status=2)
    return value


def _show(row: services.WorkspaceRow, as_json: bool) -> None:
    item = {"name": row.name, "kind": row.kind, "project_id": row.project_id, "open": row.gate.open,
            "closed_reason": None if row.gate.open else row.gate.reason, "models": row.models, "agents": list(row.agents),
            "scope": row.scope.model_dump(mode="json")}
    if as_json:
        click.echo(json.dumps(item))
        return
    models = " ".join(f"{k}={row.models.get(k, '-')}" for k in ("planner", "executor", "verifier"))
    state = "open" if row.gate.open else "closed"
    click.echo(f"{row.name:<20} {row.kind:<11} {state:<6} {models}  agents: {', '.join(row.agents) or '-'}"
               f"  project: {row.project_id or '-'}")
    if not row.gate.open:
        click.echo(f"  {row.gate.reason}")
    if not row.scope.empty:
        click.echo(f"  scope: {json.dumps(row.scope.model_dump(mode='json'))}")


@click.group()
def workspaces() -> None:
    """Workspaces: chat (knowledge only) or operational (runs tools once its three models are bound and available)."""


@workspaces.command("list")
@click.option("--kind", type=click.Choice(["chat", "operational"]), default=None)
@click.option("--json", "as_json", is_flag=True, help="one JSON object per line")
def list_workspaces(kind: str | None, as_json: bool) -> None:
    """Every workspace: kind, open or closed (and why), model bindings, agents, project."""
    for row in _run(lambda xem, _s: services.list_workspaces(xem, limit=200, kind=kind)):
        _show(row, as_json)


@workspaces.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True)
def show(name: str, as_json: bool) -> None:
    """One workspace."""
    _show(_run(lambda xem, _s: services.get_workspace(xem, _name(name))), as_json)


@workspaces.command("create")
@click.argument("name")
@click.option("--kind", type=click.Choice(["chat", "operational"]), required=True)
@click.option("--project", "project_id", default=None, help="the owning ODM project id")
def create(name: str, kind: str, project_id: str | None) -> None:
    """Create a workspace (an agent's manifest also creates one it declares: operational, closed until bound)."""
    _show(_run(lambda xem, _s: services.create_workspace(xem, _name(name), kind, project_id=project_id)), False)


@workspaces.command("promote")
@click.argument("name")
@click.option("--to", "kind", type=click.Choice(["operational", "chat"]), default="operational", show_default=True,
              help="the kind to move to (promotion only: a demotion is refused)")
@click.option("--agent", "agents", multiple=True, help="bind this agent too (repeatable)")
def promote(name: str, kind: str, agents: tuple[str, ...]) -> None:
    """Promote a chat workspace to operational (one way)."""
    _show(_run(lambda xem, _s: services.promote_workspace(xem, _name(name), kind=kind, agents=agents)), False)


@workspaces.command("bind")
@click.argument("name")
@click.option("--planner", default=None, help="model id (see `xeroctl models list`)")
@click.option("--executor", default=None)
@click.option("--verifier", default=None, help="another model than the executor's")
@click.option("--agent", "agents", multiple=True, help="bind this agent (repeatable)")
def bind(name: str, planner: str | None, executor: str | None, verifier: str | None, agents: tuple[str, ...]) -> None:
    """Bind model roles (planner, executor, verifier) and agents; each model must be in the catalog."""
    chosen = {k: _name(v, "model", MODEL_PATTERN) for k, v in
              {"planner": planner, "executor": executor, "verifier": verifier}.items() if v is not None}
    _show(_run(lambda xem, _s: services.bind_workspace(xem, _name(name), chosen, agents=agents)), False)


@workspaces.command("scope")
@click.argument("name")
@click.option("--path-prefix", "prefixes", multiple=True, help="allowed prefix of path arguments (repeatable)")
@click.option("--pattern", "patterns", multiple=True, metavar="[TOOL.]ARG=REGEX", help="an argument must match (repeatable)")
@click.option("--clear", is_flag=True, help="remove every restriction")
def scope(name: str, prefixes: tuple[str, ...], patterns: tuple[str, ...], clear: bool) -> None:
    """Replace what the workspace's tools may touch (checked by the bridge and again by the agent)."""
    if not clear and not prefixes and not patterns:
        raise StartupError("invalid_argument", "give --path-prefix and/or --pattern, or --clear; see "
                           "`xeroctl workspaces scope --help`", exit_status=2)
    table: dict[str, str] = {}
    for item in patterns:
        key, sep, regex = item.partition("=")
        if not sep:
            raise StartupError("invalid_argument", f"--pattern {item!r} is not [TOOL.]ARG=REGEX", exit_status=2)
        table[key] = regex
    try:
        value = Scope() if clear else Scope(path_prefixes=prefixes, patterns=table)
    except ValueError as exc:
        raise StartupError("invalid_argument", f"the scope does not validate: {exc}", exit_status=2) from None
    _show(_run(lambda xem, _s: services.set_scope(xem, _name(name), value)), False)


@click.group()
def models() -> None:
    """The model catalog: which models exist and whether they are available (operators and inference hosts set it)."""


@models.command("list")
@click.option("--json", "as_json", is_flag=True)
def list_models(as_json: bool) -> None:
    """Every catalog model: availability, provider, who reported it, when."""
    for r in _run(lambda xem, _s: services.list_models(xem)):
        item = {**r.info.model_dump(), "detail": r.detail, "updated_at": r.updated_at.isoformat()}
        click.echo(json.dumps(item) if as_json else
                   f"{r.info.id:<32} {'available' if r.info.available else 'unavailable':<11} {r.info.provider:<12} "
                   f"by {r.info.reported_by} at {item['updated_at']}")


@models.command("set")
@click.argument("model_ids", nargs=-1, required=True)
@click.option("--available/--unavailable", required=True, help="whether the model is served now")
@click.option("--provider", default=None)
def set_model(model_ids: tuple[str, ...], available: bool, provider: str | None) -> None:
    """Add or update catalog models (one or more) as available or unavailable; bound workspaces open or close."""
    ids = [_name(m, "model", MODEL_PATTERN) for m in model_ids]

    async def action(xem: services.XemServices, _s: object) -> list[services.ModelRow]:
        return [await services.set_model(xem, m, available, provider=provider, reported_by="operator") for m in ids]

    for r in _run(action):
        click.echo(f"model {r.info.id} is {'available' if r.info.available else 'unavailable'}")
