"""``xeroctl up``: the whole suite on loopback, in order, and stopped in reverse order on Ctrl-C/SIGTERM."""

from __future__ import annotations

import fcntl
import functools
import json
import os
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import AsyncExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import anyio
import click
from rich.console import Console

from servers.cli.serve import bind_socket
from servers.cli.xeroctl.children import Child, ChildExited, wait_until_ready
from servers.cli.xeroctl.keys import ADMIN_KEY_NAME, ensure_admin_key
from servers.cli.xeroctl.mcpjson import render_mcp_json
from servers.kernel.errors import StartupError
from servers.runtime.database import database_target, describe, prepare_database
from servers.runtime.logs import configure_logging
from servers.runtime.settings import SuiteSettings, load_settings

__all__ = ["up"]


@dataclass(frozen=True)
class _Service:
    name: str  # console script
    module: str
    flag: str
    port: int
    args: tuple[str, ...] = ()

    def url(self, host: str) -> str:
        return f"http://{host}:{self.port}/mcp"


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="interface the servers listen on")
@click.option("--bus-port", default=8701, show_default=True, type=click.IntRange(1, 65535), help="Bus MCP port")
@click.option("--odm-port", default=8702, show_default=True, type=click.IntRange(1, 65535), help="ODM MCP port")
@click.option("--xem-port", default=8703, show_default=True, type=click.IntRange(1, 65535), help="XEM MCP port")
@click.option("--router-port", default=8750, show_default=True, type=click.IntRange(1, 65535), help="XEM router port")
@click.option("--ready-timeout", default=120.0, show_default=True, type=click.FloatRange(1), help="seconds to wait for readiness")
def up(host: str, bus_port: int, odm_port: int, xem_port: int, router_port: int, ready_timeout: float) -> int:
    """Start the suite: embedded PostgreSQL (unless XIOPRO_*_DSN are set), migrations, the Bus, ODM and
    XEM MCP servers over streamable HTTP and the XEM router; print the endpoints and a .mcp.json.
    Ctrl-C or SIGTERM stops everything it started."""
    services = (
        _Service("bus-mcp", "servers.cli.bus_mcp", "--bus-port", bus_port),
        # claims: bus-mcp renews an agent's ODM claims when it heartbeats with work in flight
        _Service("odm-mcp", "servers.cli.odm_mcp", "--odm-port", odm_port, ("--toolsets", "claims,accounting")),
        _Service("xem-mcp", "servers.cli.xem_mcp", "--xem-port", xem_port),
        _Service("xem-router", "servers.cli.xem_router", "--router-port", router_port),
    )
    settings = load_settings()
    configure_logging("WARNING")
    with _single_instance(settings.home):
        for service in services:
            bind_socket(host, service.port, flag=service.flag).close()
        return anyio.run(_up, settings, host, services, ready_timeout)


class _Progress:
    """Start-up steps on stderr (stdout carries only the endpoints and the .mcp.json)."""

    def __init__(self) -> None:
        self.console = Console(stderr=True, highlight=False)

    @contextmanager
    def step(self, text: str) -> Iterator[None]:
        started = time.monotonic()
        with self.console.status(f"{text} …"):
            yield
        self.console.print(f"[green]✓[/green] {text} ({time.monotonic() - started:.1f}s)")


async def _up(settings: SuiteSettings, host: str, services: tuple[_Service, ...], ready_timeout: float) -> int:
    progress = _Progress()
    started = time.monotonic()
    status = 0
    async with anyio.create_task_group() as tg:

        async def stop_on_signal() -> None:
            with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
                async for signum in signals:
                    progress.console.print(f"\n{signal.Signals(signum).name}: stopping the suite …")
                    tg.cancel_scope.cancel()
                    return

        tg.start_soon(stop_on_signal)
        try:
            await _run_suite(settings, host, services, ready_timeout, progress, started)
        except* ChildExited as group:
            for exc in group.exceptions:
                progress.console.print(f"✗ {exc}", markup=False)
            status = 1
        tg.cancel_scope.cancel()
    progress.console.print("suite stopped")
    return status


async def _run_suite(
    settings: SuiteSettings,
    host: str,
    services: tuple[_Service, ...],
    ready_timeout: float,
    progress: _Progress,
    started: float,
) -> None:
    embedded = settings.bus_dsn is None or settings.odm_dsn is None
    async with AsyncExitStack() as stack:
        with progress.step(f"starting embedded PostgreSQL in {settings.home / 'pgdata'}" if embedded else "using external PostgreSQL"):
            bus = await stack.enter_async_context(database_target(settings, "bus"))
            odm = await stack.enter_async_context(database_target(settings, "odm"))
        for target in (bus, odm):
            with progress.step(f"migrating {describe(target)}"):
                await prepare_database(target)
        key = None
        if settings.http_auth == "keys":
            with progress.step(f"API key {ADMIN_KEY_NAME} in {settings.home / 'admin.key'}"):
                key = await ensure_admin_key(bus, settings.home)
        env = {**os.environ, "XIOPRO_ODM_URL": services[1].url(host), "XIOPRO_HOME": str(settings.home)}
        if key is not None:
            env["XIOPRO_ODM_API_KEY"] = key  # bus-mcp reads the ODM's API with it
        log_dir = settings.home / "logs"
        log_dir.mkdir(parents=True, exist_ok=True)
        children = [
            Child(s.name, _argv(s, host), env, log_dir / f"{s.name}.log") for s in services
        ]
        try:
            with progress.step("starting bus-mcp, odm-mcp, xem-mcp and xem-router"):
                for child in children:
                    child.start()
                with anyio.fail_after(ready_timeout):
                    async with anyio.create_task_group() as tg:
                        for child, service in zip(children, services, strict=True):
                            probe = ("tcp", host, service.port) if service.name == "xem-router" else ("mcp", service.url(host), None)
                            tg.start_soon(functools.partial(wait_until_ready, child, probe, key=key))
            _print_ready(settings, host, services, time.monotonic() - started, key)
            _write_state(settings.home, host, services)
            async with anyio.create_task_group() as tg:
                for child in children:
                    tg.start_soon(child.wait_exit)  # raises ChildExited
        except TimeoutError:
            raise StartupError(
                "unavailable", f"the suite was not ready within {ready_timeout:.0f}s; see the logs in {log_dir}"
            ) from None
        finally:
            with anyio.CancelScope(shield=True):
                for child in reversed(children):
                    await child.stop()
                _remove_state(settings.home)


def _argv(service: _Service, host: str) -> list[str]:
    if service.name == "xem-router":
        return [sys.executable, "-m", service.module, "--bind", f"tcp://{host}:{service.port}"]
    return [sys.executable, "-m", service.module, "--http", f"{host}:{service.port}", *service.args]


def _print_ready(settings: SuiteSettings, host: str, services: tuple[_Service, ...], elapsed: float,
                 key: str | None) -> None:
    out = click.echo
    out("")
    out("XIOPro MCP suite endpoints:")
    for service in services[:3]:
        out(f"  {service.name:<10} {service.url(host)}")
    router = services[3]
    out(f"  {router.name:<10} tcp://{host}:{router.port}")
    key_file = settings.home / "xem" / "keys" / "router.key"
    if key_file.exists():
        from xem.keyfiles import load_or_create_keypair

        public, _ = load_or_create_keypair(key_file.parent, "router")
        out(f"  router CURVE public key: {public.decode()}")
    out(f"  logs: {settings.home / 'logs'}")
    out("")
    out("Claude Code .mcp.json (HTTP, while this runs):")
    out(render_mcp_json({s.name: s.url(host) for s in services[:3]}, settings, key=key))
    out("")
    out("Claude Code .mcp.json (stdio; each client starts its own servers on the same database):")
    out(render_mcp_json(None, settings))
    out("")
    out(f"ready in {elapsed:.1f}s — press Ctrl-C to stop")
    sys.stdout.flush()


@contextmanager
def _single_instance(home: Path) -> Iterator[None]:
    """Refuse a second ``xeroctl up`` on the same XIOPRO_HOME while one runs."""
    home.mkdir(parents=True, exist_ok=True)
    handle = open(home / "xeroctl-up.lock", "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise StartupError("conflict", f"xeroctl up is already running for {home}{_describe_running(home)}; "
                           "stop it (Ctrl-C in its terminal) or set XIOPRO_HOME to run another suite") from None
    try:
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


def _describe_running(home: Path) -> str:
    try:
        state = json.loads((home / "xeroctl-up.json").read_text())
    except (OSError, ValueError):
        return ""
    return f" (pid {state.get('pid')}, bus at {state.get('bus', '?')})"


def _write_state(home: Path, host: str, services: tuple[_Service, ...]) -> None:
    state = {"pid": os.getpid(), "bus": services[0].url(host), "odm": services[1].url(host), "xem": services[2].url(host),
             "router": f"tcp://{host}:{services[3].port}"}
    (home / "xeroctl-up.json").write_text(json.dumps(state))


def _remove_state(home: Path) -> None:
    (home / "xeroctl-up.json").unlink(missing_ok=True)
