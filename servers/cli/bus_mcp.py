"""bus-mcp: the console script (``python -m servers.cli.bus_mcp``); stdio by default, ``--http HOST:PORT``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NoReturn

from servers.bus import SPEC
from servers.cli.serve import run_server

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> NoReturn:
    run_server(SPEC, argv)


if __name__ == "__main__":
    main()
