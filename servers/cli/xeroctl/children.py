"""Child processes of ``xeroctl up``: started in their own session, tied to our life, probed until ready."""

from __future__ import annotations

import ctypes
import logging
import signal
import subprocess
import sys
from pathlib import Path

import anyio

__all__ = ["Child", "ChildExited", "wait_until_ready"]

log = logging.getLogger("xiopro.xeroctl")

_STOP_GRACE_S = 10
_PR_SET_PDEATHSIG = 1


class ChildExited(Exception):
    """A child stopped on its own; the message carries the last lines of its log."""


def _die_with_parent() -> None:  # pragma: no cover - runs in the forked child
    """If xeroctl is killed outright, the kernel sends the child SIGTERM so it shuts down cleanly."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class Child:
    def __init__(self, name: str, argv: list[str], env: dict[str, str], log_path: Path) -> None:
        self.name = name
        self.argv = argv
        self.env = env
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with open(self.log_path, "ab") as out:
            self.proc = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=out,
                env=self.env,
                start_new_session=True,  # the terminal's Ctrl-C reaches xeroctl only; it stops us in order
                preexec_fn=_die_with_parent,
            )

    @property
    def exited(self) -> bool:
        return self.proc is not None and self.proc.poll() is not None

    def failure(self) -> ChildExited:
        status = self.proc.returncode if self.proc else None
        tail = _tail_lines(self.log_path, 5)
        return ChildExited(f"{self.name} exited (status {status}); last log lines from {self.log_path}:\n{tail}")

    async def wait_exit(self) -> None:
        """Return never: raises ChildExited when the child stops on its own."""
        assert self.proc is not None
        await anyio.to_thread.run_sync(self.proc.wait, abandon_on_cancel=True)
        raise self.failure()

    async def stop(self) -> None:
        """SIGTERM, then SIGKILL after a grace period; safe to call on a child that never started."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            with anyio.fail_after(_STOP_GRACE_S):
                await anyio.to_thread.run_sync(self.proc.wait, abandon_on_cancel=True)
        except TimeoutError:
            log.warning("%s did not stop within %ss; killing it", self.name, _STOP_GRACE_S)
            self.proc.kill()
            await anyio.to_thread.run_sync(self.proc.wait)


async def wait_until_ready(child: Child, probe: tuple[str, str, int | None], *, key: str | None = None) -> None:
    """Poll until the child answers: an MCP ``health`` call, or a TCP accept for the router.

    Raises:
        ChildExited: the child stopped before it was ready.
    """
    kind, address, port = probe
    delay = 0.05
    while True:
        if child.exited:
            raise child.failure()
        try:
            with anyio.fail_after(10):
                if kind == "mcp":
                    await _mcp_health(address, key)
                else:
                    assert port is not None, "a tcp probe names its port"
                    stream = await anyio.connect_tcp(address, port)
                    await stream.aclose()
            return
        except Exception:
            await anyio.sleep(delay)
            delay = min(delay * 2, 0.5)


async def _mcp_health(url: str, key: str | None) -> None:
    import httpx2
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    headers = {"Authorization": f"Bearer {key}"} if key else {}
    async with httpx2.AsyncClient(headers=headers) as http, \
            Client(streamable_http_client(url, http_client=http), mode="legacy") as client:
        result = await client.call_tool("health", {})
        if result.is_error:
            raise RuntimeError(getattr(result.content[0], "text", "health failed") if result.content else "health failed")


def _tail_lines(path: Path, count: int) -> str:
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return "  (no log)"
    return "\n".join(f"  {line}" for line in lines[-count:]) or "  (empty log)"
