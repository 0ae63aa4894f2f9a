"""Argument completion for bus-mcp's resource templates and prompt: agent ids, lease names, event topics,
message, alert and todo ids, assignees."""

from __future__ import annotations

from typing import Any

from bus.services import names
from servers.app.completions import Completer, CompletionKey

__all__ = ["TABLE"]


def _names(kind: str) -> Completer:
    async def completer(runtime: Any, prefix: str, _others: dict[str, str]) -> list[str]:
        return await names.starting(runtime.services, kind, prefix)

    return completer


TABLE: dict[CompletionKey, Completer] = {
    ("resource", "bus://agents/{agent_id}", "agent_id"): _names("agent"),
    ("resource", "bus://inbox/{agent_id}", "agent_id"): _names("agent"),
    ("resource", "bus://leases/{name}", "name"): _names("lease"),
    ("resource", "bus://events/{topic}", "topic"): _names("topic"),
    ("resource", "bus://messages/{message_id}", "message_id"): _names("message"),
    ("resource", "bus://alerts/{alert_id}", "alert_id"): _names("alert"),
    ("resource", "bus://todos/{todo_id}", "todo_id"): _names("todo"),
    ("prompt", "attention_brief", "assigned_to"): _names("assignee"),
}

