"""xeroctl: the operator's command line (run the suite, migrate the databases, and more)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NoReturn

import click

from servers.cli.serve import exit_on_startup_error
from servers.cli.xeroctl.agents import agents
from servers.cli.xeroctl.db import db
from servers.cli.xeroctl.keys import keys
from servers.cli.xeroctl.up import up
from servers.kernel.errors import StartupError
from servers.kernel.version import VERSION

__all__ = ["cli", "main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(VERSION, prog_name="xeroctl")
def cli() -> None:
    """Operate the XIOPro MCP suite. Configuration comes from XIOPRO_* variables (see the README)."""


cli.add_command(up)
cli.add_command(db)
cli.add_command(agents)
cli.add_command(keys)


def main(argv: Sequence[str] | None = None) -> NoReturn:
    with exit_on_startup_error("xeroctl"):
        try:
            status = cli.main(args=list(argv) if argv is not None else None, prog_name="xeroctl", standalone_mode=False)
        except click.UsageError as exc:
            where = exc.ctx.command_path if exc.ctx is not None else "xeroctl"
            raise StartupError("invalid_argument", f"{exc.format_message()}; see {where} --help", exit_status=2) from None
        except click.ClickException as exc:
            raise StartupError("invalid_argument", exc.format_message(), exit_status=exc.exit_code) from None
        except click.exceptions.Abort:
            raise SystemExit(130) from None
    raise SystemExit(status if isinstance(status, int) else 0)

