"""xem-router: the CurveZMQ router execution agents connect to (started by ``xeroctl up``)."""

from __future__ import annotations

import errno
import logging
from collections.abc import Sequence
from typing import NoReturn

import anyio
import zmq

from servers.cli.boundary import OneLineParser, exit_on_startup_error, until_signal
from servers.kernel.errors import StartupError
from servers.runtime.database import database_target, open_pool, prepare_database
from servers.runtime.logs import configure_logging
from servers.runtime.settings import SuiteSettings, load, load_settings
from xem.router import Router
from xem.settings import XemSettings

__all__ = ["DEFAULT_ENDPOINT", "main"]

DEFAULT_ENDPOINT = "tcp://127.0.0.1:8750"
log = logging.getLogger("xiopro.xem.router")


def main(argv: Sequence[str] | None = None) -> NoReturn:
    parser = OneLineParser(
        prog="xem-router",
        description="The XEM router: a CURVE-secured ZeroMQ ROUTER that enrolled execution agents connect to. "
        "Its keys live under $XIOPRO_HOME/xem/keys; its state in the bus database (schema xem).",
    )
    parser.add_argument("--bind", default=DEFAULT_ENDPOINT, metavar="ENDPOINT", help=f"ZeroMQ endpoint (default {DEFAULT_ENDPOINT})")
    parser.add_argument("--print-key", action="store_true", help="print the router's CURVE public key and exit")
    with exit_on_startup_error("xem-router"):
        args = parser.parse_args(argv)
        settings = load_settings()
        xem_settings = load(XemSettings)
        configure_logging(settings.log_level)
        router = Router(settings.home, args.bind, xem_settings)
        if args.print_key:
            print(router.public_key.decode())
            router.close()
            raise SystemExit(0)
        try:
            router.bind()
        except zmq.ZMQError as exc:
            router.close()
            if exc.errno == errno.EADDRINUSE:
                raise StartupError("conflict", f"{args.bind} is already in use; pass --bind to use another endpoint") from None
            raise StartupError("invalid_argument", f"cannot bind {args.bind}: {exc.strerror}; pass --bind tcp://HOST:PORT",
                               exit_status=2) from None
        try:
            anyio.run(_serve, router, settings)
        finally:
            router.close()
    raise SystemExit(0)


async def _serve(router: Router, settings: SuiteSettings) -> None:
    async with database_target(settings, "bus") as target:
        await prepare_database(target)
        pool = await open_pool(target)
        try:
            log.info("xem-router listening on %s (CURVE public key %s)", router.endpoint, router.public_key.decode())
            await until_signal(lambda: router.serve(pool))
        finally:
            with anyio.CancelScope(shield=True):
                await pool.close()
    log.info("xem-router stopped")


if __name__ == "__main__":
    main()
