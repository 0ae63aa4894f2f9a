"""xem-mcp prompts: one MCP prompt per chat template name (platform files, project and workspace templates), whose
arguments are ``workspace`` and the template's variables; ``prompts/get`` resolves the name for that workspace
(workspace over project over platform) and renders it. The list follows new versions (``prompts/list_changed``).
Resources: ``xem://templates/schema`` (the published JSON Schema) and ``xem://templates/{name}{?workspace}``."""

from __future__ import annotations

import json
import re
from typing import Any

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.prompts.base import Message, Prompt, PromptArgument, UserMessage
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS

from servers.app import SuiteServer
from servers.app.resources import resource_errors
from servers.kernel.errors import InvalidArgument, NotFound, describe_exception
from servers.xem.calls import bridge_of
from servers.xem.template_files import load_schema
from xem import services
from xem.bootstrap import Bridge
from xem.domain.manifest import NAME_PATTERN
from xem.domain.templates import ChatTemplate, render

__all__ = ["TemplatePrompts", "register"]

_WORKSPACE = re.compile(NAME_PATTERN)
WORKSPACE_ARG = PromptArgument(name="workspace", required=True,
                               description="the workspace to work in: its own template of this name overrides its project's, "
                                           "which overrides the platform's")


class TemplatePrompt(Prompt):
    """A prompt whose missing required argument is invalid params (-32602), as the MCP specification says."""

    async def render(self, arguments: dict[str, Any] | None, context: Any) -> Any:
        missing = sorted(a.name for a in self.arguments or () if a.required and not (arguments or {}).get(a.name))
        if missing:
            raise MCPError(INVALID_PARAMS, f"[invalid_argument] prompt {self.name} needs {', '.join(missing)}; pass "
                                           f"{' and '.join(missing)} in arguments")
        return await super().render(arguments, context)


def prompt_of(name: str, variants: list[ChatTemplate]) -> Prompt:
    """The prompt of one template name: ``workspace`` plus every variable its variants declare (required where all
    of them require it; the resolved template checks its own at prompts/get)."""
    first = next((t for t in variants if t.scope == "platform"), variants[0])
    declared: dict[str, list[Any]] = {}
    for t in variants:
        for v in t.variables:
            declared.setdefault(v["name"], []).append(v)
    arguments = [WORKSPACE_ARG] + [
        PromptArgument(name=n, description=vs[0].get("description"),
                       required=len(vs) == len(variants) and all(v.get("required") for v in vs))
        for n, vs in declared.items()]
    scopes = sorted({t.scope for t in variants}, key=("platform", "project", "workspace").index)

    async def get(ctx: Context, **arguments: str) -> list[Message]:
        return await _render(ctx, name, arguments)

    return TemplatePrompt(name=name, title=first.document.get("title", name),
                          description=f"{first.document['description']} (chat template; defined at: {', '.join(scopes)})",
                          arguments=arguments, fn=get, context_kwarg="ctx")


async def _render(ctx: Context, name: str, arguments: dict[str, str]) -> list[Message]:
    bridge = bridge_of(ctx)
    workspace = str(arguments.pop("workspace", "") or "")
    if not _WORKSPACE.match(workspace):
        raise MCPError(INVALID_PARAMS, f"[invalid_argument] prompt {name}: workspace {workspace[:64]!r} is not a workspace "
                                       "name (letters, digits, _ and -)")
    try:
        template = await services.resolve_template(bridge, name, workspace)
        system, instructions = render(template, workspace, {k: str(v) for k, v in arguments.items() if v is not None})
    except (InvalidArgument, NotFound) as exc:
        raise MCPError(INVALID_PARAMS, describe_exception(exc, action=f"prompt {name}")) from None
    ref = f"{template.name}@{template.version}"
    footer = (f"\n\n(Chat template {template.label}. Pass template=\"{ref}\" on invoke and on the {workspace}__* tools: "
              f"only {', '.join(template.allowed_tools)} are allowed, approval cadence {template.cadence}.)")
    messages: list[Message] = [UserMessage(system + footer)]
    if instructions.strip():
        messages.append(UserMessage(instructions))
    return messages


class TemplatePrompts:
    """The template prompts of one server, rebuilt from the bridge's index when a template changes."""

    def __init__(self, server: SuiteServer, bridge: Bridge) -> None:
        self._server = server
        self._bridge = bridge
        self._shown: dict[str, str] = {}  # name -> what prompts/list shows of it (to notify only on a change)
        self._install(bridge.template_index)
        bridge.template_watchers.add(self)

    def _install(self, index: dict[str, list[ChatTemplate]]) -> bool:
        fresh = {name: prompt_of(name, variants) for name, variants in sorted(index.items())}
        shown = {name: p.model_dump_json(exclude={"fn"}) for name, p in fresh.items()}
        if shown == self._shown:
            return False
        for name in self._shown:
            self._server.remove_prompt(name)
        for prompt in fresh.values():
            self._server.add_prompt(prompt)
        self._shown = shown
        return True

    async def on_templates(self) -> None:
        if self._install(self._bridge.template_index) and self._server.list_changed is not None:
            await self._server.list_changed.notify_prompts()


def _shape(t: ChatTemplate) -> dict[str, Any]:
    return {"name": t.name, "scope": t.scope, "owner": t.owner, "version": t.version, "ref": f"{t.name}@{t.version}",
            "document": dict(t.document)}


def register(server: SuiteServer) -> None:
    """Serve the chat-template prompts and resources of xem-mcp on ``server``."""
    assert server.runtime is not None
    bridge = server.runtime.services
    assert isinstance(bridge, Bridge)
    server.template_prompts = TemplatePrompts(server, bridge)  # type: ignore[attr-defined]  # held by the server

    @server.resource("xem://templates/schema", name="chat_template_schema", title="Chat template schema",
                     mime_type="application/schema+json",
                     description="The JSON Schema every chat template (platform file, project or workspace) must match.")
    async def template_schema() -> str:
        return json.dumps(load_schema())

    @server.resource("xem://templates/{name}{?workspace}", name="chat_template", title="A chat template",
                     mime_type="application/json",
                     description="A chat template as it resolves for ?workspace=, or every scope's latest version of it.")
    @resource_errors
    async def template(name: str, workspace: str | None = None) -> dict[str, Any]:
        if workspace:
            return _shape(await services.resolve_template(bridge, name, workspace))
        variants = bridge.template_index.get(name)
        if not variants:
            raise NotFound(f"no chat template {name!r}; see prompts/list")
        return {"name": name, "variants": [_shape(t) for t in variants]}
