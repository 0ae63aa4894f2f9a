"""Ports and server processes for tests that need real sockets."""

from __future__ import annotations

import socket
import subprocess
import tempfile
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from mcp import Client

from tests.support.wait import wait_for

__all__ = ["free_port", "running_server"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@asynccontextmanager
async def running_server(argv: Sequence[str], env: dict[str, str], *, timeout: float = 60,
                         started: list[subprocess.Popen] | None = None) -> AsyncIterator[str]:
    """Start ``argv --http 127.0.0.1:PORT`` and yield its MCP URL once ``health`` answers; stop it after.

    ``started``, when given, receives the process (a benchmark reads its CPU time)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/mcp"
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen([*argv, "--http", f"127.0.0.1:{port}"], env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    if started is not None:
        started.append(proc)
    try:
        async def healthy() -> bool:
            if proc.poll() is not None:
                log.seek(0)
                raise AssertionError(f"{argv} exited {proc.returncode}: {log.read().decode(errors='replace')[-3000:]}")
            try:
                async with Client(url, mode="legacy") as client:
                    return not (await client.call_tool("health", {})).is_error
            except Exception:
                return False

        await wait_for(healthy, what=f"{argv[-1]} to answer health at {url}", within=timeout, every=0.05)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
