"""xem-mcp: the XEM bridge; tools declared by enrolled execution agents become MCP tools."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NoReturn

from .app import ServerSpec
from .cli import run_server
from .toolsets import ToolRegistry

__all__ = ["SPEC", "main", "tools"]

tools = ToolRegistry({"default": "invoke tools on enrolled execution agents"})

SPEC = ServerSpec(
    program="xem-mcp",
    name="xiopro-xem",
    title="XIOPro XEM bridge",
    database="bus",
    schema="xem",
    instructions=(
        "The XIOPro XEM bridge: tools that enrolled execution agents declare become MCP tools; "
        "calls are approved by policy and run on the agent. Errors start with [code]."
    ),
    tools=tools,
    default_port=8703,
)


def main(argv: Sequence[str] | None = None) -> NoReturn:
    run_server(SPEC, argv)


if __name__ == "__main__":
    main()
