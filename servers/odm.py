"""odm-mcp: the Operational Domain Model (projects, tickets, tasks, ledgers, decisions)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NoReturn

from .app import ServerSpec
from .cli import run_server
from .toolsets import ToolRegistry

__all__ = ["SPEC", "main", "tools"]

tools = ToolRegistry({"default": "plan and track work: projects, tickets, tasks, claims"})

SPEC = ServerSpec(
    program="odm-mcp",
    name="xiopro-odm",
    title="XIOPro ODM",
    database="odm",
    schema="public",
    instructions=(
        "The XIOPro Operational Domain Model: projects, tickets and tasks with explicit lifecycles, "
        "cost and time ledgers, escalations and human decisions. Errors start with [code]."
    ),
    tools=tools,
    default_port=8702,
)


def main(argv: Sequence[str] | None = None) -> NoReturn:
    run_server(SPEC, argv)


if __name__ == "__main__":
    main()
