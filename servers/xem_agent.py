"""xem-agent: an execution agent that enrolls with the router and runs declared tools."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NoReturn

from .cli import OneLineParser, exit_on_startup_error
from .errors import StartupError

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> NoReturn:
    parser = OneLineParser(
        prog="xem-agent",
        description="An XEM execution agent: enrolls with the router using a join key, publishes its "
        "capability manifest and runs the tools it declares. Not yet available in this release: "
        "enrollment and dispatch arrive with the XEM transport issue.",
    )
    parser.add_argument("--config", metavar="FILE", required=True, help="agent TOML configuration")
    with exit_on_startup_error("xem-agent"):
        parser.parse_args(argv)
        raise StartupError("unavailable", "the execution agent is not part of this release yet; see xem-agent --help")
    raise SystemExit(1)


if __name__ == "__main__":
    main()
