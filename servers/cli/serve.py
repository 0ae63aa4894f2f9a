"""The command line shared by bus-mcp, odm-mcp and xem-mcp: stdio by default, ``--http HOST:PORT`` on request."""

from __future__ import annotations

import errno
import importlib.util
import logging
import socket
import sys
from collections.abc import Sequence
from contextlib import contextmanager
from typing import NoReturn

import anyio
import uvicorn

from servers.app import ServerSpec, SuiteServer, build_server, open_runtime
from servers.app.http import HttpSecurity, open_http_security
from servers.cli.boundary import OneLineParser, exit_on_startup_error, until_signal
from servers.kernel.errors import StartupError
from servers.kernel.version import VERSION
from servers.runtime.logs import configure_logging
from servers.runtime.settings import SuiteSettings, load_settings

__all__ = ["OneLineParser", "bind_socket", "exit_on_startup_error", "parse_host_port", "run_server"]

# the process boundary lives in servers.cli.boundary (cheap to import); re-exported here for the entry points

log = logging.getLogger("xiopro.cli")


def parse_host_port(value: str, *, flag: str = "--http") -> tuple[str, int]:
    """"HOST:PORT", "[::1]:PORT", ":PORT" or "PORT" (host defaults to 127.0.0.1).

    Raises:
        StartupError: not of that form, or the port is outside 1-65535.
    """
    host, _, port_text = value.rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    try:
        port = int(port_text)
    except ValueError:
        port = -1
    if not 0 < port < 65536:
        raise StartupError("invalid_argument", f"{flag} {value!r} is not HOST:PORT with a port in 1-65535", exit_status=2)
    return host, port


def bind_socket(host: str, port: int, *, flag: str) -> socket.socket:
    """A listening TCP socket, or a one-line error naming the port and the flag that changes it.

    Raises:
        StartupError: the port is taken, or the host is not an address of this machine.
    """
    try:
        info = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror:
        raise StartupError("invalid_argument", f"cannot resolve host {host!r} given to {flag}", exit_status=2) from None
    # proto must be IPPROTO_TCP (not 0): asyncio sets TCP_NODELAY on accepted connections only then, and
    # without it Nagle plus delayed ACKs add ~40 ms to every response on a kept-alive connection.
    sock = socket.socket(info[0], socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(info[4])
        sock.listen(128)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise StartupError("conflict", f"port {port} on {host} is already in use; pass {flag} to use another") from None
        raise StartupError("unavailable", f"cannot listen on {host}:{port} ({exc.strerror}); pass {flag} to change it") from None
    sock.set_inheritable(False)
    return sock


def run_server(spec: ServerSpec, argv: Sequence[str] | None = None) -> NoReturn:
    """Entry point of a server console script."""
    parser = OneLineParser(
        prog=spec.program,
        description=f"{spec.title}. Serves MCP over stdio unless --http is given. "
        "Configuration comes from XIOPRO_* variables (see the README).",
    )
    parser.add_argument("--http", metavar="HOST:PORT",
                        help=f"serve streamable HTTP at http://HOST:PORT/mcp (e.g. 127.0.0.1:{spec.default_port})")
    toolsets = ", ".join(f"{name} ({desc})" for name, desc in spec.tools.toolsets.items())
    parser.add_argument("--toolsets", metavar="NAMES", help=f"comma-separated toolsets to add to default, or 'all'. Available: {toolsets}")
    parser.add_argument("--log-level", choices=["DEBUG", "INFO", "WARNING", "ERROR"],
                        help="log level (stderr); default XIOPRO_LOG_LEVEL or INFO")
    parser.add_argument("--version", action="version", version=f"{spec.program} {VERSION}")
    with exit_on_startup_error(spec.program):
        args = parser.parse_args(argv)
        settings = load_settings(**({"log_level": args.log_level} if args.log_level else {}))
        selected = spec.tools.select(args.toolsets)
        sock = bind_socket(*parse_host_port(args.http), flag="--http") if args.http else None
        configure_logging(settings.log_level)
        anyio.run(_serve, spec, settings, selected, sock, backend_options=loop_options(settings))
    sys.exit(0)


def loop_options(settings: SuiteSettings) -> dict[str, bool]:
    """anyio backend options for ``settings.event_loop``: uvloop when asked for and installed."""
    if settings.event_loop == "uvloop" and importlib.util.find_spec("uvloop") is not None:
        return {"use_uvloop": True}
    return {}


async def _serve(spec: ServerSpec, settings: SuiteSettings, toolsets: frozenset[str], sock: socket.socket | None) -> None:
    async with open_runtime(spec, settings) as runtime:
        where = "stdio" if sock is None else f"http://{_display(sock)}/mcp"
        if sock is None:
            server = build_server(spec, runtime, toolsets)
            log.info("%s %s ready on %s (database %s)", spec.program, VERSION, where, runtime.target.name)
            await until_signal(server.run_stdio_async)
        else:
            host, port = sock.getsockname()[:2]
            async with open_http_security(runtime, host, port) as security:
                server = build_server(spec, runtime, toolsets, auth=security.server_options())
                log.info("%s %s ready on %s (database %s)", spec.program, VERSION, where, runtime.target.name)
                await _serve_http(server, sock, security)
    log.info("%s stopped", spec.program)


def http_config(server: SuiteServer, sock: socket.socket, security: HttpSecurity) -> uvicorn.Config:
    """uvicorn settings serving ``server`` at ``/mcp`` on ``sock`` (the console scripts and the tests)."""
    assert server.runtime is not None, "a server made by build_server"
    app = server.streamable_http_app(streamable_http_path="/mcp", host=sock.getsockname()[0],
                                     json_response=server.runtime.spec.json_response, **security.app_options())
    return uvicorn.Config(security.wrap(app), log_config=None, access_log=False, lifespan="on", timeout_graceful_shutdown=5)


async def _serve_http(server: SuiteServer, sock: socket.socket, security: HttpSecurity) -> None:
    userver = _Uvicorn(http_config(server, sock, security))

    def stop() -> None:
        userver.should_exit = True

    await until_signal(lambda: userver.serve(sockets=[sock]), stop=stop)


class _Uvicorn(uvicorn.Server):
    """uvicorn without its own signal handling: ours shuts down gracefully and never re-raises."""

    @contextmanager
    def capture_signals(self):
        yield


def _display(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
