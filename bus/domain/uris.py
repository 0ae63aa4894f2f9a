"""The bus:// resource URIs: what a write announces and what a client subscribes to."""

from __future__ import annotations

__all__ = ["AGENTS", "ALERTS", "TODOS", "agent", "alert", "event_topic", "inbox", "lease", "todo"]

AGENTS = "bus://agents"
TODOS = "bus://todos"
ALERTS = "bus://alerts"


def alert(alert_id: int | str) -> str:
    return f"bus://alerts/{alert_id}"


def agent(agent_id: str) -> str:
    return f"bus://agents/{agent_id}"


def inbox(agent_id: str) -> str:
    return f"bus://inbox/{agent_id}"


def lease(name: str) -> str:
    return f"bus://leases/{name}"


def event_topic(topic: str) -> str:
    return f"bus://events/{topic}"


def todo(todo_id: str) -> str:
    return f"bus://todos/{todo_id}"
