"""A suite server on streamable HTTP inside the test (real uvicorn on a free loopback port)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import uvicorn

from servers.app import ServerSpec, build_server, open_runtime
from servers.cli.serve import bind_socket, http_config
from servers.runtime.settings import SuiteSettings

__all__ = ["serve_http"]


class _Server(uvicorn.Server):
    """uvicorn that says when it listens and leaves signal handling to pytest."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.listening = anyio.Event()

    async def startup(self, sockets=None) -> None:
        await super().startup(sockets)
        self.listening.set()

    def capture_signals(self):  # type: ignore[override]
        from contextlib import nullcontext

        return nullcontext()


@asynccontextmanager
async def serve_http(spec: ServerSpec, settings: SuiteSettings, *, toolsets: str | None = None) -> AsyncIterator[str]:
    """Serve ``spec`` at ``http://127.0.0.1:<port>/mcp`` for the duration; yields the URL."""
    async with open_runtime(spec, settings) as runtime:
        server = build_server(spec, runtime, spec.tools.select(toolsets))
        sock = bind_socket("127.0.0.1", 0, flag="--http")
        userver = _Server(http_config(server, sock))
        async with anyio.create_task_group() as tg:
            tg.start_soon(lambda: userver.serve(sockets=[sock]))
            with anyio.fail_after(20):
                await userver.listening.wait()
            try:
                yield f"http://127.0.0.1:{sock.getsockname()[1]}/mcp"
            finally:
                userver.should_exit = True
