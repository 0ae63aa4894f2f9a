"""xeroctl: the operator's command line (run the suite, migrate the databases, and more)."""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import NoReturn

import click

from servers.cli.boundary import exit_on_startup_error
from servers.kernel.errors import StartupError
from servers.kernel.version import VERSION

__all__ = ["COMMANDS", "cli", "main"]

# name -> (module, attribute, one-line help): a command's module (and what it imports: the SDK, the database
# drivers, Alembic) loads only when that command runs, so ``xeroctl keys list`` does not pay for ``up``.
COMMANDS = {
    "up": ("servers.cli.xeroctl.up", "up", "Start the suite on loopback and print its endpoints and .mcp.json."),
    "db": ("servers.cli.xeroctl.db", "db", "Databases: status, upgrade, stop the embedded cluster, snapshot."),
    "agents": ("servers.cli.xeroctl.agents", "agents", "Enrolled execution agents: join keys, listing, recovery."),
    "keys": ("servers.cli.xeroctl.keys", "keys", "Scoped API keys for HTTP: create, list, revoke, rotate."),
    "approvals": ("servers.cli.xeroctl.approvals", "approvals", "XEM approval requests and policies: list, approve, reject."),
    "invocations": ("servers.cli.xeroctl.approvals", "invocations", "XEM invocations: list, resolve ambiguous ones."),
    "workspaces": ("servers.cli.xeroctl.workspaces", "workspaces",
                   "XEM workspaces: list, create, promote, bind models and agents, scope."),
    "models": ("servers.cli.xeroctl.workspaces", "models", "The XEM model catalog: list, set available or unavailable."),
    "templates": ("servers.cli.xeroctl.templates", "templates",
                  "XEM chat templates: create a project/workspace version, list, show (resolved for a workspace)."),
    "report": ("servers.cli.xeroctl.report", "report_command",
               "The ODM execution report (markdown, json or html) for a timeframe."),
}


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *super().list_commands(ctx)})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return super().get_command(ctx, cmd_name)
        module, attribute, _ = COMMANDS[cmd_name]
        command: click.Command = getattr(importlib.import_module(module), attribute)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, COMMANDS[name][2]) for name in sorted(COMMANDS)])


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(VERSION, prog_name="xeroctl")
def cli() -> None:
    """Operate the XIOPro MCP suite. Configuration comes from XIOPRO_* variables (see the README)."""


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

