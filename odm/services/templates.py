"""Agent template use cases (§4.7): publish a version, read one or the latest of each, and load the platform
templates shipped as files (idempotent: a version already there is left as it is)."""

from __future__ import annotations

import asyncpg

from odm.domain.execution import TemplateCreate
from odm.domain.execution_views import TemplateBrief, TemplateOut
from odm.domain.views import Page
from odm.errors import Conflict, InvalidArgument, NotFound
from odm.services._work import Work, dec, read_only, transactional
from odm.store import decode_cursor, encode_cursor

__all__ = ["create_template", "ensure_templates", "get_template", "list_templates", "template_out"]

MASTER = "000"


def template_out(row: asyncpg.Record, *, latest: bool = True, note: str | None = None) -> TemplateOut:
    return TemplateOut.model_validate(dict(row) | {"latest": latest, "note": note})


def _check_master(cmd: TemplateCreate) -> None:
    if cmd.is_master != (cmd.agent_id == MASTER):
        raise InvalidArgument(
            f"is_master: only agent {MASTER} is the master template (exactly one exists); "
            + ("give agent_id 000 to version the master" if cmd.is_master else "agent 000 needs is_master=true"))


@transactional
async def create_template(w: Work, cmd: TemplateCreate) -> TemplateOut:
    """Publish version 1 of an agent's template, or the next version (``previous_version`` = the latest one).

    Raises:
        InvalidArgument (a master that is not 000), Conflict (the agent has a template and previous_version is not its
        latest; a second master, also when two race: the database's partial unique index refuses it).
    """
    _check_master(cmd)
    if cmd.idempotency_key is not None:
        existing = await w.idempotency.begin("create_agent_template", cmd.idempotency_key, cmd.fingerprint())
        if existing:
            row = await w.templates.get(existing)
            if row is not None:
                return template_out(row, note="already created under this idempotency_key")
    latest = await w.templates.latest(cmd.agent_id)
    if latest is None and cmd.previous_version is not None:
        raise InvalidArgument(f"previous_version: agent {cmd.agent_id} has no template yet; omit previous_version")
    if latest is not None and cmd.previous_version != latest["version"]:
        field, what = ("is_master", "the master template exists") if cmd.is_master else (
            "previous_version", f"agent {cmd.agent_id} has a template")
        raise Conflict(f"{field}: {what} ({cmd.agent_id} v{latest['version']}); templates are never rewritten: publish "
                       f"a new version with previous_version={latest['version']}")
    version = 1 if latest is None else latest["version"] + 1
    policy, cost = cmd.spawn_policy, cmd.cost_profile
    values = cmd.model_dump(exclude={"previous_version", "spawn_policy", "cost_profile", "idempotency_key"})
    values |= {"version": version, "parent_required": policy.parent_required, "max_children": policy.max_children,
               "max_parallel_runs": policy.max_parallel_runs, "cost_priority": cost.priority,
               "max_cost_per_run": dec(cost.max_cost_per_run), "preferred_cost_tier": cost.preferred_cost_tier}
    values = {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()}
    try:
        row = await w.templates.insert(**values)
    except asyncpg.UniqueViolationError as exc:
        if exc.constraint_name == "agent_templates_one_master":
            raise Conflict(f"is_master: a master template v{version} was just created by another caller; read "
                           "odm://templates/000 and publish the next version if you still need one") from None
        raise Conflict(f"previous_version: agent {cmd.agent_id} v{version} was just published by another caller; read "
                       f"odm://templates/{cmd.agent_id} and retry with its latest version") from None
    if cmd.idempotency_key is not None:
        await w.idempotency.bind("create_agent_template", cmd.idempotency_key, row["id"])
    return template_out(row, note=f"published {cmd.agent_id} v{version} as {row['id']}")


async def ensure_templates(services: object, items: list[tuple[int, TemplateCreate]]) -> list[str]:
    """Publish each (version, template) not yet there, in order; returns what was published (the platform files)."""
    made = []
    for version, cmd in items:
        try:
            out = await create_template(services, cmd)  # type: ignore[arg-type]
        except Conflict:
            continue  # that version (or a later one) is there already, or another process just published it
        except InvalidArgument:
            if version > 1:
                continue
            raise
        made.append(f"{out.agent_id} v{out.version}")
    return made


@read_only
async def get_template(w: Work, agent_id: str, version: int | None = None) -> TemplateOut:
    """One version (default the latest) of an agent's template. Raises: NotFound."""
    latest = await w.templates.latest(agent_id)
    row = latest if version is None else await w.templates.version(agent_id, version)
    if row is None or latest is None:
        raise NotFound(f"no agent template {agent_id}{f' v{version}' if version else ''}; read odm://templates for the "
                       "templates")
    return template_out(row, latest=row["version"] == latest["version"])


@read_only
async def list_templates(w: Work, *, cursor: str | None = None, limit: int = 20) -> Page[TemplateBrief]:
    """The latest version of each agent's template, by agent id."""
    after = decode_cursor(cursor, 1)
    rows = await w.templates.page(str(after[0]) if after else None, limit + 1)
    items = [TemplateBrief.model_validate(dict(r)) for r in rows[:limit]]
    return Page[TemplateBrief](items=items, next_cursor=encode_cursor(items[-1].agent_id) if len(rows) > limit else None)
