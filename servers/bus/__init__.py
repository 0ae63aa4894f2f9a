"""bus-mcp: agent registry, messages, events, leases, host capacity, alerts and the attention queue."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import NoReturn

from bus.services.container import BusServices, open_services
from bus.settings import BusSettings
from pydantic import ValidationError

from ..app import Runtime, ServerSpec
from ..errors import StartupError
from ..cli import run_server
from . import agents as _agents  # noqa: F401 - registers the tools
from . import alerts as _alerts  # noqa: F401
from . import capacity as _capacity  # noqa: F401
from . import events as _events  # noqa: F401
from . import leases as _leases  # noqa: F401
from . import messages as _messages  # noqa: F401
from . import ops as _ops  # noqa: F401
from . import todos as _todos  # noqa: F401
from ._registry import tools
from .push import PgSubscriptionBus
from .resources import register

__all__ = ["SPEC", "bus_services", "load_bus_settings", "main", "tools"]


def load_bus_settings() -> BusSettings:
    """The Bus settings from the environment; a bad value becomes one line naming the variable.

    Raises:
        StartupError: an ``XIOPRO_BUS_*`` or ``XIOPRO_PRIMARY_USER`` value the Bus cannot use.
    """
    try:
        return BusSettings()
    except ValidationError as exc:
        err = exc.errors()[0]
        field = str(err["loc"][0]) if err["loc"] else ""
        message = err["msg"].removeprefix("Value error, ")
        if field:
            message = f"{field if field.startswith('XIOPRO_') else 'XIOPRO_BUS_' + field.upper()} {message}"
        raise StartupError("invalid_argument", f"{message}; fix the variable and start again") from None


def bus_services(settings: BusSettings | None = None):
    """The ServerSpec ``services`` hook; ``settings`` defaults to the environment (read at start)."""

    @asynccontextmanager
    async def open_bus(runtime: Runtime) -> AsyncIterator[BusServices]:
        async with open_services(
            runtime.pool,
            runtime.target.dsn,
            settings if settings is not None else load_bus_settings(),
            odm_url=runtime.settings.odm_mcp_url(),
        ) as services:
            yield services

    return open_bus


SPEC = ServerSpec(
    program="bus-mcp",
    name="xiopro-bus",
    title="XIOPro Bus",
    database="bus",
    schema="public",
    instructions=(
        "The XIOPro Bus coordinates a team of agents: register_agent then heartbeat; messages between "
        "agents (subscribe to bus://inbox/{agent_id} for a push); named leases (go elects the master); "
        "events, host capacity, alerts and the human attention queue (todos). Errors start with [code]; "
        "bad arguments get [invalid_argument]. More tools: --toolsets messages,events,alerts,ops."
    ),
    tools=tools,
    default_port=8701,
    register=register,
    services=bus_services(),
    subscriptions=lambda runtime: PgSubscriptionBus(runtime.services),
    # push never rides inside a tool call: legacy notices use the standalone GET stream and the
    # 2026-07-28 subscriptions/listen POST streams whatever this says
    json_response=True,
)


def main(argv: Sequence[str] | None = None) -> NoReturn:
    run_server(SPEC, argv)


if __name__ == "__main__":
    main()
