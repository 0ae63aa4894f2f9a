"""The process boundary of every console script: one-line usage errors, and a StartupError (or any crash)
printed as one line with its exit status. Imports nothing heavy, so ``xeroctl --help`` starts fast."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import NoReturn

import anyio

from servers.kernel.errors import StartupError

log = logging.getLogger("xiopro.cli")

__all__ = ["OneLineParser", "exit_on_startup_error", "until_signal"]


class OneLineParser(argparse.ArgumentParser):
    """argparse whose usage errors are one line and exit 2 (no usage dump); an unknown flag is named
    even when a required option is also missing."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def parse_args(self, args=None, namespace=None):
        argv = sys.argv[1:] if args is None else list(args)
        flags = {opt for action in self._actions for opt in action.option_strings}
        for arg in argv:
            if arg == "--":
                break
            if arg.startswith("-") and len(arg) > 1 and not arg[1:2].isdigit() and arg.split("=", 1)[0] not in flags:
                self.error(f"unrecognized arguments: {arg}")
        return super().parse_args(argv, namespace)

    def error(self, message: str) -> NoReturn:
        raise StartupError("invalid_argument", f"{message}; see {self.prog} --help", exit_status=2)


@contextmanager
def exit_on_startup_error(program: str) -> Iterator[None]:
    """Print a StartupError (even inside an exception group) as one line and exit with its status."""
    try:
        yield
    except BaseException as exc:
        found = _find_startup_error(exc)
        if found is not None:
            print(found.line(program), file=sys.stderr, flush=True)
            sys.exit(found.exit_status)
        if isinstance(exc, KeyboardInterrupt):
            sys.exit(130)
        if isinstance(exc, Exception):
            if os.environ.get("XIOPRO_LOG_LEVEL", "").upper() == "DEBUG":
                traceback.print_exception(exc, file=sys.stderr)
            print(
                f"{program}: [internal] unexpected {type(exc).__name__}; "
                "run again with XIOPRO_LOG_LEVEL=DEBUG to see the traceback, and report it",
                file=sys.stderr,
                flush=True,
            )
            sys.exit(1)
        raise


def _find_startup_error(exc: BaseException) -> StartupError | None:
    if isinstance(exc, StartupError):
        return exc
    if isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            found = _find_startup_error(inner)
            if found is not None:
                return found
    return None


async def until_signal(run: Callable, *, stop: Callable[[], None] | None = None) -> None:
    """Run ``run()``; SIGINT/SIGTERM call ``stop`` (graceful) or cancel it.

    Once ``run()`` has ended the process is shutting down: a SIGTERM then is ignored (logged), so the bounded
    clean-up after it (closing pools, leaving the embedded cluster, stopping an odm-mcp child) is not cut short.
    An MCP client closing a stdio server sends SIGTERM two seconds after closing its stdin, and a server killed
    mid-clean-up would leave the shared cluster running with no one to stop it. SIGINT and SIGKILL still end it.
    """
    try:
        await _until_signal(run, stop)
    finally:
        signal.signal(signal.SIGTERM, _shutting_down)


def _shutting_down(signum: int, _frame: object) -> None:
    log.info("received %s while shutting down; finishing the clean-up", signal.Signals(signum).name)


async def _until_signal(run: Callable, stop: Callable[[], None] | None) -> None:
    async with anyio.create_task_group() as tg:

        async def watch() -> None:
            with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
                async for signum in signals:
                    log.info("received %s, shutting down", signal.Signals(signum).name)
                    if stop is None:
                        tg.cancel_scope.cancel()
                    else:
                        stop()

        tg.start_soon(watch)
        await run()
        tg.cancel_scope.cancel()
