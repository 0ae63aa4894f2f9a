"""Streamable HTTP, secured: bearer API keys (the SDK's auth layer over our keyring), Origin and Host checks
against DNS rebinding, the secure-by-default refusal to serve a non-loopback address without keys, and the
audit of every refused request.

``XIOPRO_HTTP_AUTH=keys`` (the default) requires ``Authorization: Bearer <key>`` on every request.
``XIOPRO_HTTP_AUTH=none`` serves without keys, on loopback only (tests, a laptop); any other address is
refused at start. Keys live in the bus database (``servers.runtime.keys``); odm-mcp reads them there
through a small pool of its own.
"""

from __future__ import annotations

import ipaddress
import logging
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import anyio
import asyncpg
from mcp.server.auth.settings import AuthSettings
from mcp.server.transport_security import TransportSecuritySettings
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from servers.app.auth import KeyVerifier, audit, last_refusal
from servers.app.spec import Runtime
from servers.kernel.errors import StartupError
from servers.runtime.database import connect, database_target, open_pool
from servers.runtime.keys import Keyring, Principal, parse_key

__all__ = ["HttpSecurity", "is_loopback", "open_http_security"]

log = logging.getLogger("xiopro.auth")

_MAX_REFUSAL_AUDITS_PER_S = 20  # a flood of bad keys is counted in the log, not written row by row


def is_loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass
class HttpSecurity:
    """What ``streamable_http_app`` is given, and the wrapper that audits refusals."""

    host: str
    port: int
    keyring: Keyring | None  # None: XIOPRO_HTTP_AUTH=none (loopback only)
    runtime: Runtime
    allowed_origins: list[str] = field(default_factory=list)

    def app_options(self) -> dict[str, Any]:
        options: dict[str, Any] = {}
        if not is_loopback(self.host):  # the SDK protects loopback by itself; elsewhere, say what is allowed
            hosts = [f"{self.host}:{self.port}", *self.allowed_origins_hosts()]
            options["transport_security"] = TransportSecuritySettings(
                enable_dns_rebinding_protection=True, allowed_hosts=hosts,
                allowed_origins=[f"http://{self.host}:{self.port}", f"https://{self.host}:{self.port}", *self.allowed_origins])
        return options

    def server_options(self) -> dict[str, Any]:
        """What ``MCPServer`` is built with: the SDK's bearer-token layer over our keyring (None: no keys)."""
        if self.keyring is None:
            return {}
        return {"auth": AuthSettings(issuer_url=f"http://{_url_host(self.host)}:{self.port}",
                                     resource_server_url=None),
                "token_verifier": KeyVerifier(self.keyring)}

    def allowed_origins_hosts(self) -> list[str]:
        return [o.split("://", 1)[-1] for o in self.allowed_origins]

    def wrap(self, app: ASGIApp) -> ASGIApp:
        return _RefusalAudit(app, self.runtime) if self.keyring is not None else app


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


@asynccontextmanager
async def open_http_security(runtime: Runtime, host: str, port: int) -> AsyncIterator[HttpSecurity]:
    """The keyring (kept current while the block runs) and the policy for serving ``host``.

    Raises:
        StartupError: keys are off or none exists and ``host`` is not loopback; or the bus database has no keys table.
    """
    settings = runtime.settings
    origins = [o.strip() for o in settings.http_allowed_origins.split(",") if o.strip()]
    if settings.http_auth == "none":
        if not is_loopback(host):
            raise StartupError("forbidden", f"refusing to serve HTTP on {host} without API keys "
                               "(XIOPRO_HTTP_AUTH=none is for loopback only); create one with `xeroctl keys create` "
                               "and unset XIOPRO_HTTP_AUTH", exit_status=2)
        log.warning("serving HTTP on %s without API keys (XIOPRO_HTTP_AUTH=none)", host)
        yield HttpSecurity(host, port, None, runtime, origins)
        return
    async with AsyncExitStack() as stack:
        pool = runtime.pool if runtime.spec.database == "bus" else await _bus_pool(stack, runtime)
        keyring = Keyring(pool)
        try:
            await keyring.reload()
        except asyncpg.UndefinedTableError:
            raise StartupError("unavailable", "the bus database has no API keys table yet; run `xeroctl db upgrade` "
                               "(or start bus-mcp once), then start again") from None
        if keyring.empty:
            if not is_loopback(host):
                raise StartupError("forbidden", f"refusing to serve HTTP on {host}: no API key exists; create one with "
                                   "`xeroctl keys create --name NAME --scope execution,management` first", exit_status=2)
            log.warning("no API key exists: every HTTP request will be refused until one is created (xeroctl keys create)")
        tg = await stack.enter_async_context(anyio.create_task_group())
        tg.start_soon(keyring.run)
        try:
            yield HttpSecurity(host, port, keyring, runtime, origins)
        finally:
            tg.cancel_scope.cancel()


async def _bus_pool(stack: AsyncExitStack, runtime: Runtime) -> asyncpg.Pool:
    """A small pool of this process to the bus database, where the keys are (odm-mcp's own database is odm)."""
    target = await stack.enter_async_context(database_target(runtime.settings, "bus"))
    try:
        conn = await connect(target)  # a clear one-line error when the bus database cannot be reached
    except asyncpg.InvalidCatalogNameError:
        raise StartupError("unavailable", f"the bus database {target.name} (where the API keys are) does not exist "
                           f"at {target.where}; run `xeroctl db upgrade` or start bus-mcp once") from None
    await conn.close()
    pool = await open_pool(target, max_size=2)
    stack.push_async_callback(pool.close)
    return pool


class _RefusalAudit:
    """ASGI wrapper: every 401/403 answer is audited (who tried, from where, why), without the key."""

    def __init__(self, app: ASGIApp, runtime: Runtime) -> None:
        self.app = app
        self.runtime = runtime
        self._second = 0
        self._count = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status: list[int] = []

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
            await send(message)

        await self.app(scope, receive, watch)
        if status and status[0] in (401, 403):
            await self._record(scope, status[0])

    async def _record(self, scope: Scope, status: int) -> None:
        now = int(time.monotonic())
        if now != self._second:
            if self._count > _MAX_REFUSAL_AUDITS_PER_S:
                log.warning("%d more refused HTTP requests in one second were not audited one by one",
                            self._count - _MAX_REFUSAL_AUDITS_PER_S)
            self._second, self._count = now, 0
        self._count += 1
        if self._count > _MAX_REFUSAL_AUDITS_PER_S:
            return
        headers = {k.decode().lower(): v.decode(errors="replace") for k, v in scope.get("headers", [])}
        bearer = headers.get("authorization", "")
        key_id = parse_key(bearer[7:].strip()) if bearer.lower().startswith("bearer ") else None
        reason = ("no Authorization: Bearer header" if not bearer
                  else last_refusal() or ("origin or host not allowed" if status == 403 else "refused"))
        client = scope.get("client") or ("?", 0)
        who = f"key {key_id}" if key_id else "anonymous"
        await audit(self.runtime, Principal(actor=f"{who} from {client[0]}", scopes=frozenset()),
                    f"http {scope.get('method', '?')} {scope.get('path', '?')}", f"refused {status}",
                    detail={"reason": reason})
