"""odm-mcp: the Operational Domain Model (projects, sprints, tickets, tasks, ideas, threads, claims)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import NoReturn

from pydantic import ValidationError

from odm.services import OdmServices, open_services
from odm.settings import OdmSettings

from . import odm_planning  # noqa: F401  - registers the planning toolset
from .app import Runtime, ServerSpec
from .cli import run_server
from .errors import StartupError
from .odm_resources import register
from .odm_tools import tools

__all__ = ["SPEC", "main", "tools"]


@asynccontextmanager
async def odm_services(runtime: Runtime) -> AsyncIterator[OdmServices]:
    """Read the ODM settings, put the primary user in place and run the claim-expiry sweeper."""
    try:
        settings = OdmSettings()
    except ValidationError as exc:
        err = exc.errors()[0]
        message = err["msg"].removeprefix("Value error, ")
        raise StartupError("invalid_argument", f"XIOPRO_{str(err['loc'][0]).upper()} {message}; fix it and start again") from None
    async with open_services(runtime.pool, settings) as services:
        yield services


SPEC = ServerSpec(
    program="odm-mcp",
    name="xiopro-odm",
    title="XIOPro ODM",
    database="odm",
    schema="public",
    instructions=(
        "The XIOPro Operational Domain Model: projects, tickets (1001, ...) and tasks (1001.01, ...) with "
        "explicit lifecycles (odm://lifecycles/{kind}). Agents call next_task to claim work and pass its "
        "claim_token back with update_task/transition. Errors start with [code]."
    ),
    tools=tools,
    default_port=8702,
    json_response=True,
    register=register,
    services=odm_services,
)


def main(argv: Sequence[str] | None = None) -> NoReturn:
    run_server(SPEC, argv)


if __name__ == "__main__":
    main()
