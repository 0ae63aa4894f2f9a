"""xem-mcp: the console script (``python -m servers.cli.xem_mcp``); stdio by default, ``--http HOST:PORT``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NoReturn

from servers.cli.serve import run_server
from servers.xem import SPEC

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> NoReturn:
    run_server(SPEC, argv)


if __name__ == "__main__":
    main()
