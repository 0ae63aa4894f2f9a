"""MCP prompts from files in ``prompts/``: TOML front matter between ``+++`` lines, then the body.

    +++
    name = "plan_ticket"
    title = "Plan a ticket"
    description = "Decompose a ticket into tasks with dependencies and acceptance criteria."
    [[arguments]]
    name = "ticket_id"
    description = "the ticket to plan, e.g. 1001"
    required = true
    +++
    Plan ticket ${ticket_id}. ...

The body is a ``string.Template``: ``${argument}`` is replaced by the argument's value, and by
values a server-side ``provider`` computes (e.g. the current attention queue). ``$$`` is a dollar.
"""

from __future__ import annotations

import string
import tomllib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.prompts.base import Prompt, PromptArgument

from prompts import prompt_path

__all__ = ["PromptFile", "install_prompt", "load_prompt"]

Provider = Callable[[Context, dict[str, str]], Awaitable[dict[str, str]]]


@dataclass(frozen=True)
class PromptFile:
    name: str
    title: str
    description: str
    arguments: tuple[PromptArgument, ...]
    body: string.Template

    def render(self, values: dict[str, str]) -> str:
        """Raises KeyError naming a placeholder that has no value."""
        return self.body.substitute(values)


def load_prompt(name: str, directory: Path | None = None) -> PromptFile:
    """Parse ``prompts/<name>.md`` (or ``directory/<name>.md``). Raises ValueError if malformed."""
    text = (directory / f"{name}.md" if directory else prompt_path(f"{name}.md")).read_text()
    head, sep, body = text.removeprefix("+++\n").partition("\n+++\n")
    if not text.startswith("+++\n") or not sep:
        raise ValueError(f"prompts/{name}.md must start with +++ front matter +++")
    meta: dict[str, Any] = tomllib.loads(head)
    if meta.get("name") != name:
        raise ValueError(f"prompts/{name}.md declares name {meta.get('name')!r}")
    return PromptFile(
        name=name,
        title=meta.get("title", name),
        description=meta["description"],
        arguments=tuple(PromptArgument(**arg) for arg in meta.get("arguments", [])),
        body=string.Template(body.strip() + "\n"),
    )


def install_prompt(
    server: MCPServer, name: str, provider: Provider | None = None, *, directory: Path | None = None
) -> PromptFile:
    """Serve ``prompts/<name>.md`` as an MCP prompt; ``provider`` adds server-computed values."""
    spec = load_prompt(name, directory)
    known = {arg.name for arg in spec.arguments}

    async def render(ctx: Context, **arguments: str) -> str:
        unknown = sorted(set(arguments) - known)
        if unknown:
            raise ValueError(f"[invalid_argument] prompt {name} takes no argument {', '.join(unknown)}")
        values = {arg: "" for arg in known} | {k: str(v) for k, v in arguments.items()}
        if provider is not None:
            values |= await provider(ctx, dict(arguments))
        return spec.render(values)

    server.add_prompt(
        Prompt(
            name=spec.name,
            title=spec.title,
            description=spec.description,
            arguments=list(spec.arguments),
            fn=render,
            context_kwarg="ctx",
        )
    )
    return spec
