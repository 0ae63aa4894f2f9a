"""Chat templates: create a version (project or workspace scope), resolve a name for a workspace, list them, and
the names the prompt list shows. Platform templates come from ``XemServices.templates`` (files, loaded at start)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from servers.kernel.errors import IdempotencyMismatch, InvalidArgument, NotFound, Unavailable
from xem.domain.manifest import NAME_PATTERN, canonical_json
from xem.domain.templates import ChatTemplate, TemplateRef, check_document, parse_ref, resolve
from xem.services._work import Work, read_only, transactional

__all__ = ["TemplateLine", "create_template", "find_template", "list_templates", "resolve_template", "template_names"]

_OWNER = re.compile(NAME_PATTERN)


@dataclass(frozen=True)
class TemplateLine:
    name: str
    scope: str
    owner: str
    version: int
    versions: int
    description: str
    created_at: datetime | None


def _template(row: Any) -> ChatTemplate:
    document = json.loads(row["document"]) if isinstance(row["document"], str) else row["document"]
    return ChatTemplate(row["name"], row["scope"], row["owner"], row["version"], document)


async def resolve_in(w: Work, ref: TemplateRef, workspace: str) -> ChatTemplate:
    """The template ``ref`` names for ``workspace``. Raises NotFound saying where it was looked for."""
    project = await w.templates.project_of(workspace)
    candidates = [_template(r) for r in await w.templates.for_name(ref.name, workspace, project)]
    candidates += [t for t in w.services.templates.platform.values() if t.name == ref.name]
    found = resolve(candidates, ref, workspace=workspace, project_id=project)
    if found is None:
        where = f"workspace {workspace}" + (f", project {project}" if project else "") + " or the platform"
        pinned = f" version {ref.version}" if ref.version is not None else ""
        raise NotFound(f"no chat template {ref.name!r}{pinned} for {where}; list them with list_templates "
                       f"(--toolsets management) or prompts/list")
    return found


async def exact(w: Work, name: str, scope: str, owner: str, version: int) -> ChatTemplate:
    """One version by its full identity (what an invocation or a sub-plan recorded). Raises NotFound."""
    if scope == "platform":
        found = w.services.templates.platform.get(name)
        if found is not None and found.version == version:
            return found
    else:
        row = await w.templates.get(scope, owner, name, version)
        if row is not None:
            return _template(row)
    raise NotFound(f"chat template {name}@{version} ({scope} {owner}) is gone; open a new sub-plan under the current one")


@read_only
async def resolve_template(w: Work, ref: str, workspace: str) -> ChatTemplate:
    """The template ``ref`` (``name`` or ``name@3``) means for ``workspace``. Raises InvalidArgument, NotFound."""
    return await resolve_in(w, parse_ref(ref), workspace)


@read_only
async def find_template(w: Work, name: str, scope: str, owner: str, version: int | None) -> ChatTemplate:
    """One template of one scope (the latest version unless given). Raises NotFound."""
    if scope == "platform":
        found = w.services.templates.platform.get(name)
        if found is None or version not in (None, found.version):
            raise NotFound(f"no platform template {name!r}" + (f" version {version}" if version else "")
                           + "; see list_templates (--toolsets management)")
        return found
    if version is None:
        rows = await w.templates.latest(name=name, scope=scope, owner=owner, after=None, limit=1)
        version = rows[0]["version"] if rows else 0
    row = await w.templates.get(scope, owner, name, version)
    if row is None:
        raise NotFound(f"no {scope} template {name!r} of {owner}" + (f" version {version}" if version else "")
                       + "; see list_templates (--toolsets management)")
    return _template(row)


@transactional
async def create_template(w: Work, scope: str, owner: str, document: Any, *, idempotency_key: str | None = None,
                          by: str | None = None) -> ChatTemplate:
    """Store ``document`` as the next version of its (scope, owner, name); an old version is never changed.

    Raises:
        InvalidArgument: the scope, the owner or the document (schema or rules) is not valid.
        IdempotencyMismatch: the key created another document. Unavailable: no schema loaded.
    """
    schema = w.services.templates.schema
    if schema is None:
        raise Unavailable("the chat template schema is not loaded in this process; create templates through xem-mcp or "
                          "xeroctl templates create")
    if scope not in ("project", "workspace"):
        raise InvalidArgument(f"scope {scope!r}: templates are created at scope project or workspace (platform "
                              "templates are files in prompts/xem/, shipped with the suite)")
    if not _OWNER.match(owner):
        raise InvalidArgument(f"owner {owner[:80]!r} is not a {'project id' if scope == 'project' else 'workspace name'} "
                              "(letters, digits, _ and -, at most 48)")
    doc = check_document(document, schema)
    if "version" in doc:
        raise InvalidArgument("template version: the bridge numbers versions (a new one is max + 1); remove version")
    if idempotency_key is not None:
        held = await w.templates.by_key(idempotency_key)
        if held is not None:
            same = (held["scope"], held["owner"], held["name"]) == (scope, owner, doc["name"]) and \
                canonical_json(json.loads(held["document"])) == canonical_json(doc)
            if not same:
                raise IdempotencyMismatch(f"idempotency_key {idempotency_key!r} created template {held['name']}@"
                                          f"{held['version']} ({held['scope']} {held['owner']}) from another document; "
                                          "use a new key for a new version")
            return _template(held)
    version = await w.templates.insert_next(scope, owner, doc["name"], doc, key=idempotency_key, by=by)
    return ChatTemplate(doc["name"], scope, owner, version, doc)  # type: ignore[arg-type]


@read_only
async def list_templates(w: Work, *, name: str | None = None, scope: str | None = None, owner: str | None = None,
                         after: tuple[str, str, str] | None = None, limit: int = 20) -> list[TemplateLine]:
    """The latest version of each template (platform ones first within a name), ordered by (name, scope, owner)."""
    lines = [TemplateLine(t.name, "platform", "", t.version, 1, str(t.document["description"]), None)
             for t in w.services.templates.platform.values()
             if (name is None or t.name == name) and scope in (None, "platform") and owner in (None, "")]
    if scope != "platform":
        rows = await w.templates.latest(name=name, scope=scope, owner=owner, after=None, limit=10_000)
        lines += [TemplateLine(r["name"], r["scope"], r["owner"], r["version"], r["versions"], r["description"] or "",
                               r["created_at"]) for r in rows]
    order = {"platform": 0, "project": 1, "workspace": 2}
    lines.sort(key=lambda t: (t.name, order[t.scope], t.owner))
    if after is not None:
        lines = [t for t in lines if (t.name, order[t.scope], t.owner) > (after[0], order.get(after[1], 0), after[2])]
    return lines[:limit]


@read_only
async def template_names(w: Work) -> dict[str, list[ChatTemplate]]:
    """Every template name with the latest version of each (scope, owner) that has it (what prompts/list shows)."""
    out: dict[str, list[ChatTemplate]] = {}
    for t in w.services.templates.platform.values():
        out.setdefault(t.name, []).append(t)
    for row in await w.templates.names():
        out.setdefault(row["name"], []).append(_template(row))
    return out
