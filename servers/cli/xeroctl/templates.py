"""``xeroctl templates``: create a chat template version (project or workspace scope) from a JSON file, list the
templates (latest version of each), show one (as it resolves for a workspace, or one scope's version)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from servers.cli.xeroctl.agents import _run
from servers.kernel.errors import StartupError
from servers.xem.template_files import load_library
from xem import services
from xem.domain.templates import ChatTemplate

__all__ = ["templates"]


def _document(path: str) -> object:
    try:
        return json.loads(Path(path).read_text() if path != "-" else sys.stdin.read())
    except (OSError, ValueError) as exc:
        raise StartupError("invalid_argument", f"{path}: not a readable JSON document ({exc}); see "
                           "xem://templates/schema or resources/xem/chat_template.schema.json", exit_status=2) from None


def _shape(t: ChatTemplate) -> dict[str, object]:
    return {"name": t.name, "scope": t.scope, "owner": t.owner, "version": t.version, "ref": f"{t.name}@{t.version}",
            "document": dict(t.document)}


@click.group()
def templates() -> None:
    """Chat templates (served as MCP prompts by xem-mcp): workspace overrides project overrides platform, by name."""


@templates.command("create")
@click.argument("file")
@click.option("--project", "project", default=None, help="scope project: the ODM project id")
@click.option("--workspace", "workspace", default=None, help="scope workspace: the workspace name")
@click.option("--idempotency-key", default=None, help="the same key and document answer the first version")
def create(file: str, project: str | None, workspace: str | None, idempotency_key: str | None) -> None:
    """Store FILE (a JSON chat template; - for stdin) as the next version for --project or --workspace."""
    if (project is None) == (workspace is None):
        raise StartupError("invalid_argument", "give exactly one of --project ID or --workspace NAME (platform templates "
                           "are files in prompts/xem/)", exit_status=2)
    scope, owner = ("project", project) if project is not None else ("workspace", workspace)
    document = _document(file)
    assert owner is not None
    made = _run(lambda xem, _s: services.create_template(xem, scope, owner, document, idempotency_key=idempotency_key,
                                                         by="operator"), templates=load_library())
    click.echo(f"template {made.label} created; prompts/get {made.name} with workspace=... now sees it where it applies")


@templates.command("list")
@click.option("--name", default=None)
@click.option("--scope", type=click.Choice(["platform", "project", "workspace"]), default=None)
@click.option("--json", "as_json", is_flag=True, help="one JSON object per line")
def list_command(name: str | None, scope: str | None, as_json: bool) -> None:
    """The latest version of each template: name, scope, owner, version, number of versions, description."""
    rows = _run(lambda xem, _s: services.list_templates(xem, name=name, scope=scope, limit=10_000), templates=load_library())
    for r in rows:
        item = {"name": r.name, "scope": r.scope, "owner": r.owner, "version": r.version, "versions": r.versions,
                "description": r.description}
        click.echo(json.dumps(item) if as_json else
                   f"{r.name:<24} {r.scope:<9} {r.owner or '-':<16} v{r.version} ({r.versions} version(s))  {r.description}")


@templates.command("show")
@click.argument("ref")
@click.option("--workspace", default=None, help="resolve REF for this workspace (workspace > project > platform)")
@click.option("--scope", type=click.Choice(["platform", "project", "workspace"]), default=None)
@click.option("--owner", default="", help="with --scope project|workspace: the project id or workspace name")
def show(ref: str, workspace: str | None, scope: str | None, owner: str) -> None:
    """Print one template as JSON: REF (name or name@3) as it resolves for --workspace, or of --scope/--owner."""
    library = load_library()
    if workspace is not None:
        found = _run(lambda xem, _s: services.resolve_template(xem, ref, workspace), templates=library)
    elif scope is not None:
        name, _, version = ref.partition("@")
        found = _run(lambda xem, _s: services.find_template(xem, name, scope, owner, int(version) if version.isdigit()
                                                            else None), templates=library)
    else:
        raise StartupError("invalid_argument", "give --workspace NAME (to resolve) or --scope SCOPE [--owner ID]",
                           exit_status=2)
    click.echo(json.dumps(_shape(found), indent=2))
