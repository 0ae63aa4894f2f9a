"""xem-router: the CurveZMQ router execution agents connect to (started by ``xeroctl up``)."""

from __future__ import annotations

import errno
import logging
import signal
from collections.abc import Sequence
from typing import NoReturn

import anyio
import zmq

from xem.router import RouterSocket

from .cli import OneLineParser, exit_on_startup_error
from .errors import StartupError
from .logs import configure_logging
from .settings import load_settings

__all__ = ["DEFAULT_ENDPOINT", "main"]

DEFAULT_ENDPOINT = "tcp://127.0.0.1:8750"
log = logging.getLogger("xiopro.xem.router")


def main(argv: Sequence[str] | None = None) -> NoReturn:
    parser = OneLineParser(
        prog="xem-router",
        description="The XEM router: a CURVE-secured ZeroMQ ROUTER that enrolled execution agents connect to. "
        "Its keys live under $XIOPRO_HOME/xem/keys. Agent enrollment and dispatch come with the XEM transport.",
    )
    parser.add_argument("--bind", default=DEFAULT_ENDPOINT, metavar="ENDPOINT", help=f"ZeroMQ endpoint (default {DEFAULT_ENDPOINT})")
    parser.add_argument("--print-key", action="store_true", help="print the router's CURVE public key and exit")
    with exit_on_startup_error("xem-router"):
        args = parser.parse_args(argv)
        settings = load_settings()
        configure_logging(settings.log_level)
        router = RouterSocket(settings.home, args.bind)
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
            raise StartupError("invalid_argument", f"cannot bind {args.bind}: {exc.strerror}; pass --bind tcp://HOST:PORT", exit_status=2) from None
        log.info("xem-router listening on %s (CURVE public key %s)", args.bind, router.public_key.decode())
        try:
            anyio.run(_serve, router)
        finally:
            router.close()
    raise SystemExit(0)


async def _serve(router: RouterSocket) -> None:
    async with anyio.create_task_group() as tg:

        async def watch() -> None:
            with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
                async for _ in signals:
                    tg.cancel_scope.cancel()

        tg.start_soon(watch)
        await router.serve()


if __name__ == "__main__":
    main()
