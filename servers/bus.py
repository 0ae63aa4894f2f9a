"""bus-mcp: agent registry, messages, events, leases, host capacity, alerts and the attention queue."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NoReturn

from .app import ServerSpec
from .cli import run_server
from .toolsets import ToolRegistry

__all__ = ["SPEC", "main", "tools"]

tools = ToolRegistry({"default": "agent coordination: registry, messages, leases, todos"})

SPEC = ServerSpec(
    program="bus-mcp",
    name="xiopro-bus",
    title="XIOPro Bus",
    database="bus",
    schema="public",
    instructions=(
        "The XIOPro Bus coordinates a team of agents: who is online, messages between agents, "
        "named leases, alerts and the human attention queue. Errors start with [code]."
    ),
    tools=tools,
    default_port=8701,
)


def main(argv: Sequence[str] | None = None) -> NoReturn:
    run_server(SPEC, argv)


if __name__ == "__main__":
    main()
