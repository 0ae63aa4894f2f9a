"""A suite server on streamable HTTP inside the test (real uvicorn on a free loopback port)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import anyio
import uvicorn

from servers.app import ServerSpec, build_server, open_runtime
from servers.app.http import open_http_security
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
    async with open_runtime(spec, settings) as runtime, AsyncExitStack() as stack:
        sock = bind_socket("127.0.0.1", 0, flag="--http")
        security = await stack.enter_async_context(open_http_security(runtime, "127.0.0.1", sock.getsockname()[1]))
        server = build_server(spec, runtime, spec.tools.select(toolsets), auth=security.server_options())
        userver = _Server(http_config(server, sock, security))
        async with anyio.create_task_group() as tg:
            tg.start_soon(lambda: userver.serve(sockets=[sock]))
            with anyio.fail_after(20):
                await userver.listening.wait()
            try:
                yield f"http://127.0.0.1:{sock.getsockname()[1]}/mcp"
            finally:
                userver.should_exit = True
