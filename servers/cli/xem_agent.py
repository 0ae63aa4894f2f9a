"""xem-agent: an execution agent that enrolls with the router and runs declared tools."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

import anyio

from servers.cli.boundary import OneLineParser, exit_on_startup_error, until_signal
from servers.kernel.errors import StartupError
from servers.runtime.logs import configure_logging
from servers.runtime.settings import load, load_settings
from xem.agent import Agent, load_config
from xem.errors import ConfigError, EnrollmentRefused
from xem.settings import XemSettings

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> NoReturn:
    parser = OneLineParser(
        prog="xem-agent",
        description="An XEM execution agent: enrolls with the router using a join key (first boot), publishes its "
        "capability manifest, renews its lease and runs the tools its TOML config declares. See the README.",
    )
    parser.add_argument("--config", metavar="FILE", required=True, help="agent TOML configuration")
    parser.add_argument("--log-level", choices=["DEBUG", "INFO", "WARNING", "ERROR"], default=None,
                        help="log level (stderr); default XIOPRO_LOG_LEVEL or INFO")
    with exit_on_startup_error("xem-agent"):
        args = parser.parse_args(argv)
        configure_logging(load_settings(**({"log_level": args.log_level} if args.log_level else {})).log_level)
        settings = load(XemSettings)
        try:
            config = load_config(Path(args.config))
            agent = Agent(config, settings)
        except ConfigError as exc:
            raise StartupError("invalid_argument", f"{exc}; fix the config and start again", exit_status=2) from None
        try:
            anyio.run(until_signal, agent.run)
        except* EnrollmentRefused as group:
            refusal = _first(group)
            raise StartupError("unauthorized", f"enrollment refused ({refusal.reason}): {refusal}") from None
        finally:
            agent.close()
    raise SystemExit(0)


def _first(group: BaseExceptionGroup) -> EnrollmentRefused:
    inner = group.exceptions[0]
    return _first(inner) if isinstance(inner, BaseExceptionGroup) else inner  # type: ignore[return-value]


if __name__ == "__main__":
    main()
