"""Running one tool: argv without a shell, in the workspace root, with a timeout, an output limit and
progress chunks streamed as they come."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import anyio

__all__ = ["Outcome", "run_tool", "watch_children_by_pidfd"]

_ENV_KEEP = ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "USER", "LOGNAME", "TMPDIR")


@dataclass
class Outcome:
    status: str  # succeeded | failed | timed_out
    exit_code: int | None
    stdout: str = ""
    stderr: str = ""
    truncated: bool = False
    duration_ms: int = 0
    error: str | None = None
    _kept: dict[str, bytearray] = field(default_factory=lambda: {"stdout": bytearray(), "stderr": bytearray()})


def watch_children_by_pidfd() -> None:
    """In the agent process, on Python 3.11: reap tool processes through pidfds on the running loop instead of the
    default watcher's one thread per process (3.12 does this by default on Linux; elsewhere nothing changes).
    Process-wide: call it only from the process's one event loop (the xem-agent entry point)."""
    if sys.version_info >= (3, 12) or not hasattr(os, "pidfd_open"):
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        watcher = asyncio.PidfdChildWatcher()
        watcher.attach_loop(asyncio.get_running_loop())
        asyncio.set_child_watcher(watcher)


async def run_tool(argv: list[str], root: Path, *, timeout_s: float, max_output_bytes: int,
                   on_progress: Callable[[str, str], Awaitable[None]] | None = None,
                   progress_interval_s: float = 0.25, cancelled: asyncio.Event | anyio.Event | None = None) -> Outcome:
    """Run ``argv`` in ``root``; stdout and stderr together keep at most ``max_output_bytes``."""
    started = time.monotonic()
    env = {k: v for k, v in os.environ.items() if k in _ENV_KEEP}
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv, cwd=str(root), env=env, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, start_new_session=True,
        )
    except OSError as exc:
        return Outcome("failed", None, error=f"cannot start {argv[0]}: {exc.strerror}")
    outcome = Outcome("succeeded", None)
    budget = [max_output_bytes]
    pending: dict[str, bytearray] = {"stdout": bytearray(), "stderr": bytearray()}
    flushed = [time.monotonic()]

    async def flush(force: bool = False) -> None:
        if on_progress is None or not (force or time.monotonic() - flushed[0] >= progress_interval_s):
            return
        flushed[0] = time.monotonic()
        for stream, data in pending.items():
            if data:
                chunk = data.decode(errors="replace")
                data.clear()
                await on_progress(stream, chunk)

    async def pump(stream: str, reader: asyncio.StreamReader) -> None:
        while chunk := await reader.read(4096):
            kept = chunk[: max(budget[0], 0)]
            budget[0] -= len(chunk)
            if len(kept) < len(chunk):
                outcome.truncated = True
            outcome._kept[stream] += kept
            pending[stream] += kept
            await flush()

    async def wait_cancel() -> None:
        if cancelled is not None:
            await cancelled.wait()
        else:
            await asyncio.Event().wait()

    pumps = asyncio.gather(pump("stdout", proc.stdout), pump("stderr", proc.stderr), proc.wait())  # type: ignore[arg-type]
    cancel_task = asyncio.ensure_future(wait_cancel())
    try:
        try:
            done, _ = await asyncio.wait({pumps, cancel_task}, timeout=timeout_s,  # type: ignore[type-var]
                                         return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            _kill(proc)  # the agent is stopping: leave no tool running behind it (its outcome becomes "interrupted")
            raise
        if pumps not in done:
            _kill(proc)
            outcome.status = "timed_out" if cancel_task not in done else "failed"
            outcome.error = f"timed out after {timeout_s:g}s" if cancel_task not in done else "cancelled"
            await asyncio.wait_for(asyncio.shield(pumps), 5)
    finally:
        cancel_task.cancel()
    await flush(force=True)
    outcome.exit_code = proc.returncode
    if outcome.status == "succeeded" and proc.returncode != 0:
        outcome.status = "failed"
        outcome.error = f"exit status {proc.returncode}"
    outcome.stdout = outcome._kept["stdout"].decode(errors="replace")
    outcome.stderr = outcome._kept["stderr"].decode(errors="replace")
    outcome.duration_ms = int((time.monotonic() - started) * 1000)
    return outcome


def _kill(proc: asyncio.subprocess.Process) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # the tool's whole process group, not only its leader
    except ProcessLookupError:
        pass
