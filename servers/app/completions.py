"""``completion/complete`` for resource-template and prompt arguments: each server names, per argument, a
completer (the ids, names or values an operator would tab through), served through the SDK's public
``MCPServer.completion()``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp_types import Completion, CompletionArgument, CompletionContext, PromptReference, ResourceTemplateReference

__all__ = ["MAX_VALUES", "Completer", "CompletionKey", "choose", "install_completions"]

MAX_VALUES = 100  # the MCP specification's cap on one completion answer
Completer = Callable[[Any, str, dict[str, str]], Awaitable[list[str]]]  # (runtime, typed prefix, other arguments)
CompletionKey = tuple[str, str, str]  # ("prompt", name, argument) or ("resource", uri template, argument)


def install_completions(server: MCPServer[Any], table: Mapping[CompletionKey, Completer]) -> None:
    @server.completion()
    async def complete(ref: PromptReference | ResourceTemplateReference, argument: CompletionArgument,
                       context: CompletionContext | None) -> Completion:
        key = ("prompt", ref.name, argument.name) if isinstance(ref, PromptReference) else ("resource", ref.uri, argument.name)
        completer = table.get(key)
        if completer is None:
            return Completion(values=[], total=0, has_more=False)
        found = await completer(getattr(server, "runtime", None), argument.value or "", dict(context.arguments or {})
                                if context else {})
        return Completion(values=found[:MAX_VALUES], total=len(found), has_more=len(found) > MAX_VALUES)


def choose(values: list[str]) -> Completer:
    """A completer over fixed values (kinds, states, sizes)."""

    async def completer(_runtime: Any, prefix: str, _others: dict[str, str]) -> list[str]:
        return [v for v in values if v.startswith(prefix)]

    return completer
